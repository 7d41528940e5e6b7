"""Who may open the audit trail in the admin: superusers and Auditors (migration 0004), each
after the MFA step their role requires; trainers, reviewers and admission reviewers get a 403
and no menu item; collectors and firm managers never reach the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from lms.accounts.roles import Role
from lms.auditlog.permissions import VIEW_PERSONAL, VIEW_TRAIL
from tests.conftest import activate_totp, django_login_only, signed_in
from tests.factories import FirmFactory

from .trail_factories import record

pytestmark = pytest.mark.django_db

INDEX = reverse("auditlog_trail:index")
SECRET_LABEL = "SA-2026-SECRET"


@pytest.fixture
def urls(collector) -> list[str]:
    firm = FirmFactory()
    event = record(
        subject=("certificates.certificate", 5),
        subject_label=SECRET_LABEL,
        firms=[firm],
        persons=[collector],
    )
    return [
        INDEX,
        reverse("auditlog_trail:person", args=[collector.pk]),
        reverse("auditlog_trail:firm", args=[firm.pk]),
        reverse("auditlog_trail:certificate", args=[5]),
        reverse("auditlog_trail:event", args=[event.seq]),
    ]


@pytest.mark.parametrize("role", ["auditor", "admin_user"])
def test_auditors_and_superusers_read_every_trail_page_and_see_the_menu_item(
    client, request, role, urls
):
    signed_in(client, request.getfixturevalue(role))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET_LABEL in response.content.decode()
    assert INDEX in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize("role", ["trainer", "reviewer", "admission_reviewer"])
def test_other_staff_get_a_403_and_no_menu_item(client, request, role, urls):
    signed_in(client, request.getfixturevalue(role))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert SECRET_LABEL not in response.content.decode()
    assert client.post(urls[-1]).status_code == 403
    assert INDEX not in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_collectors_and_managers_never_reach_the_trail(client, request, role, urls):
    client.force_login(request.getfixturevalue(role))
    for url in urls:
        response = client.get(url)
        assert response.status_code in {302, 403}, url
        assert SECRET_LABEL not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_an_auditor_who_has_not_entered_the_code_is_not_let_in(client, auditor, urls):
    activate_totp(auditor)
    django_login_only(client, auditor)  # a session without allauth's record of the MFA step
    response = client.get(urls[0])
    assert response.status_code == 302
    assert SECRET_LABEL not in response.content.decode()


def test_the_migration_grants_both_permissions_to_auditors_only():
    for name in Role.values:
        permissions = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=name).permissions.select_related("content_type")
        }
        granted = {VIEW_TRAIL, VIEW_PERSONAL} & permissions
        assert granted == ({VIEW_TRAIL, VIEW_PERSONAL} if name == Role.AUDITOR else set()), name
