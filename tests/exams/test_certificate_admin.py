"""Certification in the Wagtail admin: who sees certificates, who may revoke, programmes."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import NoReverseMatch, reverse

from exams.certificates.admin import CERTIFICATES, ISSUANCES, PROGRAMMES
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    IssuanceRequest,
)
from tests.conftest import signed_in

from .certificate_factories import (
    issue_certificate,
    make_programme,
    passing_attempt,
    use_fast_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def programme(db):
    return make_programme()


@pytest.fixture
def certificate(collector, programme):
    return issue_certificate(collector, programme.programme)


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def turned_away(response) -> bool:
    """Wagtail answers a permission error in its generic views by sending the user back to
    the dashboard with an error message (a 403 for XHR)."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


# --- Certificates ------------------------------------------------------------------------------


def test_an_auditor_revokes_a_certificate_through_the_admin_form(
    client, auditor, certificate, django_capture_on_commit_callbacks
):
    signed_in(client, auditor)
    revoke_url = url(f"{CERTIFICATES}:revoke", certificate.pk)
    assert client.get(revoke_url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(revoke_url, {"reason": "稽核发现冒充律师催收"})

    assert response.status_code == 302
    assert response["Location"] == url(f"{CERTIFICATES}:inspect", certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revoked_by == auditor
    assert certificate.revocation_reason == "稽核发现冒充律师催收"
    assert [message.to for message in mail.outbox] == [[certificate.holder.email]]


def test_the_revoke_form_requires_a_reason(client, auditor, certificate):
    signed_in(client, auditor)

    response = client.post(url(f"{CERTIFICATES}:revoke", certificate.pk), {"reason": " "})

    assert response.status_code == 200
    assert response.context["form"].errors
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_revoking_a_revoked_certificate_in_the_admin_is_refused(client, auditor, certificate):
    signed_in(client, auditor)
    revoke_url = url(f"{CERTIFICATES}:revoke", certificate.pk)
    client.post(revoke_url, {"reason": "第一次"})

    response = client.post(revoke_url, {"reason": "第二次"})

    assert response.status_code == 200
    certificate.refresh_from_db()
    assert certificate.revocation_reason == "第一次"


def test_a_trainer_sees_certificates_but_cannot_revoke(client, trainer, certificate):
    signed_in(client, trainer)

    assert client.get(url(f"{CERTIFICATES}:index")).status_code == 200
    inspect = client.get(url(f"{CERTIFICATES}:inspect", certificate.pk))
    assert inspect.status_code == 200
    assert url(f"{CERTIFICATES}:revoke", certificate.pk) not in inspect.content.decode()
    assert client.get(url(f"{CERTIFICATES}:revoke", certificate.pk)).status_code == 403
    response = client.post(url(f"{CERTIFICATES}:revoke", certificate.pk), {"reason": "不应生效"})
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


@pytest.mark.parametrize("persona", ["auditor", "trainer", "reviewer"])
def test_staff_find_certificates_in_the_admin_menu(client, persona, request):
    signed_in(client, request.getfixturevalue(persona))

    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()

    assert url(f"{CERTIFICATES}:index") in dashboard


def test_the_auditor_sees_the_revoke_button(client, auditor, certificate):
    signed_in(client, auditor)

    inspect = client.get(url(f"{CERTIFICATES}:inspect", certificate.pk)).content.decode()

    assert url(f"{CERTIFICATES}:revoke", certificate.pk) in inspect


def test_a_collector_cannot_reach_the_admin(client, collector, certificate):
    client.force_login(collector)

    revoke_url = url(f"{CERTIFICATES}:revoke", certificate.pk)
    for path in (url(f"{CERTIFICATES}:index"), revoke_url):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.WAGTAILADMIN_LOGIN_URL))
    assert client.post(revoke_url, {"reason": "x"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_certificates_are_never_added_edited_or_deleted_in_the_admin(admin_user, certificate):
    for view in ("add", "edit", "delete", "copy", "history"):
        with pytest.raises(NoReverseMatch):
            reverse(f"{CERTIFICATES}:{view}", args=[] if view == "add" else [certificate.pk])


def test_the_listing_filters_by_status_and_searches_by_serial_and_name(
    client, admin_user, collector, other_collector, programme
):
    valid = issue_certificate(collector, programme.programme)
    revoked = issue_certificate(other_collector, programme.programme)
    Certificate.objects.filter(pk=revoked.pk).update(
        status=CertificateStatus.REVOKED, revoked_at=revoked.issued_at
    )
    signed_in(client, admin_user)
    index = url(f"{CERTIFICATES}:index")

    only_revoked = client.get(index, {"status": "revoked"}).content.decode()
    by_serial = client.get(index, {"q": valid.serial}).content.decode()
    by_name = client.get(index, {"q": "李四"}).content.decode()

    assert revoked.serial in only_revoked and valid.serial not in only_revoked
    assert valid.serial in by_serial and revoked.serial not in by_serial
    assert revoked.serial in by_name and valid.serial not in by_name
    assert "Add" not in client.get(index).context["header_buttons"].__str__()


# --- Issuances and programmes ------------------------------------------------------------------


def test_admins_see_a_stuck_issuance_with_its_last_error(client, admin_user, collector, programme):
    attempt = passing_attempt(collector, programme.exam)
    request = IssuanceRequest.objects.create(
        holder=collector,
        programme=programme.programme,
        attempt=attempt,
        failures=3,
        last_error="OSError('font not found')",
    )
    signed_in(client, admin_user)

    listing = client.get(url(f"{ISSUANCES}:index"), {"state": "failing"}).content.decode()
    inspect = client.get(url(f"{ISSUANCES}:inspect", request.pk)).content.decode()

    assert "font not found" in listing
    assert "font not found" in inspect


@pytest.mark.parametrize("role", ["auditor", "trainer"])
def test_auditors_and_trainers_do_not_see_issuances(client, role, request):
    signed_in(client, request.getfixturevalue(role))

    assert turned_away(client.get(url(f"{ISSUANCES}:index")))


def test_a_trainer_creates_a_programme(client, trainer, programme):
    signed_in(client, trainer)

    response = client.post(
        url(f"{PROGRAMMES}:add"),
        {
            "name": "个人信息保护专项资格",
            "code": "pipl",
            "description": "",
            "required_courses": [course.pk for course in programme.courses],
            "final_exam": programme.exam.pk,
            "validity_months": 12,
            "renewal_window_days": 30,
            "refresher_course": "",
            "renewal_exam": "",
            "cpd_hours_required": "12",
            "cpd_offline_hours_required": "4",
            "cpd_cycle_months": "12",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    created = CertificationProgramme.objects.get(code="pipl")
    assert list(created.required_courses.all()) == programme.courses
    assert created.validity_months == 12
    assert (created.cpd_hours_required, created.cpd_offline_hours_required) == (12, 4)


def test_a_reviewer_may_look_at_programmes_but_not_change_them(client, reviewer, programme):
    signed_in(client, reviewer)

    assert client.get(url(f"{PROGRAMMES}:index")).status_code == 200
    assert turned_away(client.get(url(f"{PROGRAMMES}:edit", programme.programme.pk)))
    assert turned_away(client.get(url(f"{PROGRAMMES}:add")))
