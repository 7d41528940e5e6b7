"""Issuing certificates the way collectors earn them: courses completed, exam passed.

Every test goes through the real paths — lessons completed through ``courses.progress``, exams
sat and submitted through ``exams.attempts`` — with on-commit callbacks run, so the issuance
request, the (eager) Celery task and the email all happen as in production.
"""

from __future__ import annotations

import re

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from exams import attempts
from exams.certificates import issuance, lifecycle, tasks
from exams.certificates.issuance import is_valid_serial
from exams.certificates.models import Certificate, CertificateStatus, IssuanceKind, IssuanceRequest

from .certificate_factories import (
    FAKE_PDF,
    complete_course,
    issue_certificate,
    make_programme,
    pass_exam,
    use_fast_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_pdf():
    """Request this fixture to render the certificate with the real renderer."""


@pytest.fixture(autouse=True)
def _fast_pdf(request, monkeypatch):
    if "real_pdf" not in request.fixturenames:
        use_fast_pdf(monkeypatch)


@pytest.fixture
def programme(db):
    return make_programme(courses=2, refresher=True, renewal_exam=True)


def earn(certify, user, programme):
    for course in programme.courses:
        certify(complete_course, user, course)
    return certify(pass_exam, user, programme.exam)


def renewable_certificate(user, programme) -> Certificate:
    """A valid certificate with 30 days left: inside the 60-day renewal window."""
    issued = timezone.now() - relativedelta(months=programme.programme.validity_months)
    return issue_certificate(user, programme.programme, now=issued + timezone.timedelta(days=30))


# --- First certification -----------------------------------------------------------------------


def test_completing_the_courses_and_passing_the_exam_issues_exactly_one_certificate(
    certify, collector, programme
):
    attempt = earn(certify, collector, programme)

    certificate = Certificate.objects.get()
    assert attempt.passed
    assert certificate.holder == collector
    assert certificate.programme == programme.programme
    assert certificate.request.attempt == attempt
    assert re.fullmatch(r"SSA-\d{4}-\d{6}-[0-9A-Z]", certificate.serial)
    assert is_valid_serial(certificate.serial)
    mistyped = certificate.serial[:-1] + ("A" if certificate.serial[-1] != "A" else "B")
    assert not is_valid_serial(mistyped)
    assert len(certificate.verification_code) >= 22  # 128 random bits
    assert certificate.serial not in certificate.verification_code
    assert certificate.holder_name == "张三"
    assert certificate.programme_name == programme.programme.name
    assert certificate.score == attempt.percent
    assert certificate.status == CertificateStatus.VALID
    assert certificate.expires_at == certificate.issued_at + relativedelta(months=24)
    with certificate.pdf.open("rb") as pdf:
        assert pdf.read() == FAKE_PDF
    assert IssuanceRequest.objects.get().completed_at is not None


def test_the_verification_codes_of_two_certificates_differ(
    certify, collector, other_collector, programme
):
    earn(certify, collector, programme)
    earn(certify, other_collector, programme)

    codes = set(Certificate.objects.values_list("verification_code", flat=True))
    assert len(codes) == 2


def test_the_name_on_the_certificate_is_a_snapshot(certify, collector, programme):
    earn(certify, collector, programme)

    collector.legal_name = "张三丰"
    collector.save(update_fields=["legal_name"])

    assert Certificate.objects.get().holder_name == "张三"


def test_a_failed_exam_issues_nothing(certify, collector, programme):
    for course in programme.courses:
        certify(complete_course, collector, course)

    certify(pass_exam, collector, programme.exam, right=False)

    assert not Certificate.objects.exists()
    assert not IssuanceRequest.objects.exists()


def test_an_exam_passed_before_the_courses_certifies_when_the_last_course_completes(
    certify, collector, programme
):
    # Only an exam open to anyone can be sat before the programme's courses are done.
    programme.exam.open_to_anyone = True
    programme.exam.save(update_fields=["open_to_anyone"])
    certify(pass_exam, collector, programme.exam)
    assert not Certificate.objects.exists()
    certify(complete_course, collector, programme.courses[0])
    assert not Certificate.objects.exists()

    certify(complete_course, collector, programme.courses[1])

    assert Certificate.objects.get().holder == collector


def test_passing_again_issues_no_second_certificate(certify, collector, programme):
    earn(certify, collector, programme)

    certify(pass_exam, collector, programme.exam)

    assert Certificate.objects.count() == 1
    assert IssuanceRequest.objects.count() == 1


def test_running_the_issuance_task_twice_gives_the_same_certificate(certify, collector, programme):
    earn(certify, collector, programme)
    request = IssuanceRequest.objects.get()

    first = tasks.issue_certificate.delay(request.pk).get()
    second = tasks.issue_certificate.delay(request.pk).get()

    assert first == second == Certificate.objects.get().pk


# --- Renewal -----------------------------------------------------------------------------------


def test_renewing_inside_the_window_supersedes_the_old_certificate(certify, collector, programme):
    old = renewable_certificate(collector, programme)
    certify(complete_course, collector, programme.refresher)

    certify(pass_exam, collector, programme.renewal_exam)

    old.refresh_from_db()
    new = Certificate.objects.exclude(pk=old.pk).get()
    assert new.request.kind == IssuanceKind.RENEWAL
    assert new.status == CertificateStatus.VALID
    assert old.status == CertificateStatus.SUPERSEDED
    assert old.superseded_by == new
    # Renewing early loses nothing: the new validity runs on from the old expiry.
    assert new.expires_at == old.expires_at + relativedelta(months=24)
    assert new.serial != old.serial


def test_the_renewal_exam_alone_is_not_enough_without_the_refresher_course(
    certify, collector, programme
):
    old = renewable_certificate(collector, programme)
    # The renewal exam cannot even be started without the refresher course ...
    with pytest.raises(attempts.PrerequisitesMissing):
        attempts.start_attempt(collector, programme.renewal_exam)
    # ... and if a trainer opens it to anyone, passing it alone still renews nothing.
    programme.renewal_exam.open_to_anyone = True
    programme.renewal_exam.save(update_fields=["open_to_anyone"])

    certify(pass_exam, collector, programme.renewal_exam)

    assert list(Certificate.objects.all()) == [old]


def test_renewing_outside_the_window_issues_nothing(certify, collector, programme):
    current = issue_certificate(collector, programme.programme)  # 24 months left
    certify(complete_course, collector, programme.refresher)

    certify(pass_exam, collector, programme.renewal_exam)

    assert list(Certificate.objects.all()) == [current]
    current.refresh_from_db()
    assert current.status == CertificateStatus.VALID


def test_a_revoked_certificate_is_not_renewed(certify, collector, programme, auditor):
    revoked = renewable_certificate(collector, programme)
    lifecycle.revoke(revoked, by=auditor, reason="稽核发现违规")
    certify(complete_course, collector, programme.refresher)

    certify(pass_exam, collector, programme.renewal_exam)

    assert list(Certificate.objects.all()) == [revoked]


def test_a_renewal_requested_before_a_revocation_issues_nothing(
    certify, collector, programme, auditor
):
    old = renewable_certificate(collector, programme)
    certify(complete_course, collector, programme.refresher)
    # The request is written with the passing grade; the revocation lands before the worker runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch", lambda request_id: False)
        certify(pass_exam, collector, programme.renewal_exam)
    request = IssuanceRequest.objects.get(kind=IssuanceKind.RENEWAL)
    lifecycle.revoke(old, by=auditor, reason="稽核发现违规")

    assert issuance.issue(request.pk) is None

    request.refresh_from_db()
    assert request.completed_at is not None
    assert "revoked" in request.last_error
    assert list(Certificate.objects.all()) == [old]


# --- The email with the PDF --------------------------------------------------------------------


def test_the_holder_gets_the_pdf_by_email_once(certify, collector, programme):
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])

    earn(certify, collector, programme)
    certificate = Certificate.objects.get()
    tasks.email_issued_certificate.delay(certificate.pk)  # a duplicate delivery

    (message,) = mail.outbox
    assert message.to == [collector.email]
    assert "has been issued" in message.subject
    assert certificate.absolute_verification_url in message.body
    assert message.attachments == [(f"{certificate.serial}.pdf", FAKE_PDF, "application/pdf")]
    certificate.refresh_from_db()
    assert certificate.notified_at is not None


def test_a_failed_send_releases_the_claim_for_the_retry(collector, programme, monkeypatch):
    certificate = issue_certificate(collector, programme.programme)

    def smtp_down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", smtp_down)
        with pytest.raises(ConnectionRefusedError):
            lifecycle.email_issued_certificate(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.notified_at is None

    assert lifecycle.email_issued_certificate(certificate.pk) is True
    assert len(mail.outbox) == 1


def test_a_broker_outage_never_breaks_issuance_and_the_sweep_sends_the_email_later(
    certify, collector, programme, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.email_issued_certificate, "delay", broker_down)
        earn(certify, collector, programme)
    certificate = Certificate.objects.get()
    assert mail.outbox == []

    later = certificate.issued_at + lifecycle.ISSUED_EMAIL_GRACE + timezone.timedelta(minutes=1)
    assert lifecycle.unsent_issued_emails(later) == [certificate.pk]
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - lifecycle.ISSUED_EMAIL_GRACE * 2
    )
    assert tasks.email_unsent_certificates.delay().get() == 1
    assert len(mail.outbox) == 1
    assert tasks.email_unsent_certificates.delay().get() == 0


def test_the_emailed_pdf_is_the_real_rendered_certificate(certify, collector, programme, real_pdf):
    earn(certify, collector, programme)

    certificate = Certificate.objects.get()
    (message,) = mail.outbox
    name, content, mimetype = message.attachments[0]
    assert content.startswith(b"%PDF-")
    with certificate.pdf.open("rb") as stored:
        assert content == stored.read()
