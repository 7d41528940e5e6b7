"""A certificate of attendance follows corrections made after the session is closed.

The trainer marks attendance and closes the session through the admin's attendance pages (HTTP),
as they do in real life; ``/verify/`` is read anonymously and "My certificates" as the holder.
A no-show after all revokes the certificate (the verification page says so, with the date); other
hours revoke it and a new certificate with the corrected hours replaces it; someone marked
attended after being a no-show gets their certificate at once, not an hour later from the sweep.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from content.models import RegistrationState
from courses.models import CPDEntry
from exams.certificates import attendance
from exams.certificates.models import AttendanceCertificate
from tests.conftest import signed_in
from tests.content.checkin_support import (
    english,  # noqa: F401  (a fixture)
    live_session,
    register,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = RegistrationState
FAKE_PDF = b"%PDF-1.7\n% a stand-in for the real render\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    monkeypatch.setattr(attendance, "render", lambda certificate: FAKE_PDF)


@pytest.fixture
def summit():
    """A 3-hour session that started an hour ago, of an event giving certificates."""
    session = live_session()
    page = session.page
    page.attendance_certificates = True
    page.save()
    return session


@pytest.fixture
def trainer_post(trainer, django_capture_on_commit_callbacks):
    """POST as the trainer (their own browser), running what is queued after the commit
    (tasks are eager)."""
    browser = signed_in(Client(), trainer)

    def post(url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(url, data or {})
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"].startswith("/admin/attendance/"), response["Location"]
        return response

    return post


def mark(trainer_post, registration, state: str, reason: str, hours: str | None = None):
    data = {"state": state, "reason": reason}
    if hours is not None:
        data["hours"] = hours
    trainer_post(reverse("attendance_sessions:mark", args=[registration.pk]), data)


def close(trainer_post, session) -> None:
    trainer_post(reverse("attendance_sessions:close_session", args=[session.pk]))


def verification(certificate) -> str:
    """The verification page, as someone with the certificate in hand sees it (in English)."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = browser.get(f"/verify/{certificate.verification_code}/")
    assert response.status_code == 200
    return response.content.decode()


def ledger(registration) -> Decimal:
    return sum((e.hours for e in CPDEntry.objects.filter(registration=registration)), Decimal(0))


def test_a_no_show_after_closing_revokes_the_certificate(client, trainer_post, summit, collector):
    registration = register(summit, collector)
    mark(trainer_post, registration, S.ATTENDED, "手机无法扫码")
    close(trainer_post, summit)
    certificate = AttendanceCertificate.objects.get(registration=registration)
    assert 'data-status="attendance"' in verification(certificate)

    mark(trainer_post, registration, S.NO_SHOW, "核对签到表：未到场")

    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert certificate.revocation_reason == "核对签到表：未到场"
    assert ledger(registration) == 0  # the ledger followed too
    html = verification(certificate)
    assert 'data-status="revoked"' in html
    assert "Genuine certificate of attendance" not in html
    revoked_on = date_format(timezone.localtime(certificate.revoked_at).date(), "DATE_FORMAT")
    assert f"was revoked on {revoked_on}" in html
    assert "核对签到表" not in html  # the date, never the reason
    assert "data-replacement" not in html
    # Nothing replaces it, now or from the sweep.
    assert AttendanceCertificate.objects.count() == 1
    later = timezone.now() + datetime.timedelta(hours=2)
    assert attendance.sessions_missing_certificates(later) == []

    client.force_login(collector)
    page = client.get("/certificates/").content.decode()
    assert certificate.serial not in page
    pdf_url = f"/certificates/attendance/{certificate.pk}/pdf/"
    assert client.get(pdf_url).status_code == 404


def test_other_hours_replace_the_certificate(client, trainer_post, summit, collector):
    registration = register(summit, collector)
    mark(trainer_post, registration, S.ATTENDED, "手机无法扫码")
    close(trainer_post, summit)
    first = AttendanceCertificate.objects.get(registration=registration)
    assert first.hours == Decimal("3.00")

    mark(trainer_post, registration, S.PARTLY_ATTENDED, "中途离场", hours="1.5")

    first.refresh_from_db()
    assert first.revoked_at is not None and first.revocation_reason == "中途离场"
    second = attendance.in_force().get(registration=registration)
    assert second.hours == Decimal("1.50") == ledger(registration)
    assert second.serial != first.serial and attendance.is_valid_serial(second.serial)
    assert second.verification_code != first.verification_code
    assert second.pdf.name.rsplit("/", 1)[-1].startswith(second.serial)
    old_page = verification(first)
    assert 'data-status="revoked"' in old_page
    assert f"No. {second.serial}" in old_page  # the corrected one replaces it
    new_page = verification(second)
    assert 'data-status="attendance"' in new_page
    assert "credited with 1.50 hours" in new_page

    client.force_login(collector)
    page = client.get("/certificates/").content.decode()
    assert f'data-attendance-certificate="{second.serial}"' in page
    assert first.serial not in page
    assert client.get(f"/certificates/attendance/{first.pk}/pdf/").status_code == 404
    assert client.get(f"/certificates/attendance/{second.pk}/pdf/").status_code == 200

    # Back to the full session: replaced again; one certificate in force throughout.
    mark(trainer_post, registration, S.ATTENDED, "核对后全程在场")
    third = attendance.in_force().get(registration=registration)
    assert third.hours == Decimal("3.00")
    assert AttendanceCertificate.objects.filter(registration=registration).count() == 3
    assert 'data-status="revoked"' in verification(second)


def test_a_correction_worth_the_same_hours_keeps_the_certificate(trainer_post, summit, collector):
    registration = register(summit, collector)
    mark(trainer_post, registration, S.ATTENDED, "手机无法扫码")
    close(trainer_post, summit)
    certificate = AttendanceCertificate.objects.get(registration=registration)

    mark(trainer_post, registration, S.PARTLY_ATTENDED, "记为部分出席", hours="3")

    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert AttendanceCertificate.objects.count() == 1
    assert 'data-status="attendance"' in verification(certificate)


def test_attended_after_a_no_show_gets_a_certificate_at_once(trainer_post, summit, collector):
    registration = register(summit, collector)
    close(trainer_post, summit)  # still booked: a no-show, no certificate
    registration.refresh_from_db()
    assert registration.state == S.NO_SHOW
    assert not AttendanceCertificate.objects.exists()

    mark(trainer_post, registration, S.ATTENDED, "签到系统故障")

    certificate = AttendanceCertificate.objects.get(registration=registration)
    assert certificate.revoked_at is None and certificate.hours == Decimal("3.00")
    assert 'data-status="attendance"' in verification(certificate)

    # No-show again, then attended again: revoked, then a new one.
    mark(trainer_post, registration, S.NO_SHOW, "再次核对：未到场")
    mark(trainer_post, registration, S.ATTENDED, "第三次核对：到场")
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    current = attendance.in_force().get(registration=registration)
    assert current.pk != certificate.pk
    assert 'data-status="attendance"' in verification(current)


def test_no_certificate_for_a_correction_on_an_event_without_them(trainer_post, collector):
    session = live_session()
    registration = register(session, collector)
    close(trainer_post, session)
    mark(trainer_post, registration, S.ATTENDED, "签到系统故障")
    assert not AttendanceCertificate.objects.exists()


def test_a_second_certificate_in_force_is_refused_by_the_database(trainer_post, summit, collector):
    registration = register(summit, collector)
    mark(trainer_post, registration, S.ATTENDED, "手机无法扫码")
    close(trainer_post, summit)
    certificate = AttendanceCertificate.objects.get(registration=registration)
    assert attendance.issue_for_registration(registration.pk) is None  # a redelivery
    duplicate = AttendanceCertificate.objects.get(pk=certificate.pk)
    duplicate.pk = None
    duplicate.serial = "SSAA-DUPLICATE"
    duplicate.verification_code = "another-code"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
