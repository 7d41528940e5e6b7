"""A suspended certificate through its life (issue 13): it expires, it can be revoked, it blocks
re-certification and renewal, and the verification page and "My certificates" say 已暂停 with
the reason category and the date — never the free-text reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone

from exams.certificates import issuance, lifecycle, suspension, tasks, updates
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    IssuanceRequest,
)
from tests.conftest import signed_in

from .certificate_factories import (
    complete_course,
    issue_certificate,
    make_programme,
    pass_exam,
    use_fast_pdf,
)

pytestmark = pytest.mark.django_db
FINDING = CertificateSuspension.Category.FINDING
LAW_CHANGE = CertificateSuspension.Category.LAW_CHANGE
PRIVATE_REASON = "稽核单号 2026-017：录音显示威胁债务人家属"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def programme(db):
    return make_programme(refresher=True, renewal_exam=True)


@pytest.fixture
def certificate(collector, programme):
    return issue_certificate(collector, programme.programme)


def suspended(certificate, category=FINDING, **kwargs):
    suspension.suspend(certificate, category=category, reason=PRIVATE_REASON, **kwargs)
    certificate.refresh_from_db()
    return certificate


# --- Expiry and revocation ---------------------------------------------------------------------


def test_expiry_ends_a_suspension_with_the_outcome_expired(certificate):
    suspended(certificate)
    later = certificate.expires_at + timedelta(minutes=1)

    assert certificate.status_on(later) == CertificateStatus.EXPIRED  # before the job, too
    assert lifecycle.expire_certificates(now=later) == 1

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED
    ended = certificate.suspensions.get()
    assert (ended.outcome, ended.ended_at) == (CertificateSuspension.Outcome.EXPIRED, later)
    assert lifecycle.expire_certificates(now=later) == 0  # a second run changes nothing


def test_the_daily_task_expires_suspended_certificates(certificate, settings):
    suspended(certificate)
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - timedelta(days=800),
        expires_at=timezone.now() - timedelta(days=1),
    )
    settings.CELERY_TASK_ALWAYS_EAGER = True
    tasks.expire_certificates.delay()
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED
    assert certificate.open_suspension is None


def test_revoking_a_suspended_certificate_ends_the_suspension(certificate, auditor):
    suspended(certificate)

    lifecycle.revoke(certificate, by=auditor, reason="稽核确认违规")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    ended = certificate.suspensions.get()
    assert (ended.outcome, ended.ended_by) == (CertificateSuspension.Outcome.REVOKED, auditor)


def test_an_auditor_revokes_a_suspended_certificate_from_the_admin(client, certificate, auditor):
    suspended(certificate)
    signed_in(client, auditor)
    url = reverse("exams_certificates:revoke", args=[certificate.pk])

    response = client.post(url, {"reason": "稽核确认违规"})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED


# --- No new certificate while suspended --------------------------------------------------------


def test_passing_the_final_exam_again_does_not_certify_a_suspended_holder(
    certify, collector, programme, certificate
):
    suspended(certificate)
    programme.exam.open_to_anyone = True
    programme.exam.save(update_fields=["open_to_anyone"])
    for course in programme.courses:
        certify(complete_course, collector, course)

    certify(pass_exam, collector, programme.exam)

    assert list(Certificate.objects.all()) == [certificate]
    assert not IssuanceRequest.objects.filter(completed_at__isnull=True).exists()
    assert issuance.request_if_eligible(collector, programme.programme) is None


def renewable(collector, programme):
    issued = timezone.now() - relativedelta(months=24) + timedelta(days=30)
    return issue_certificate(collector, programme.programme, now=issued)


def test_a_suspended_certificate_is_not_renewed(certify, collector, programme):
    old = suspended(renewable(collector, programme))
    certify(complete_course, collector, programme.refresher)
    programme.renewal_exam.open_to_anyone = True
    programme.renewal_exam.save(update_fields=["open_to_anyone"])

    certify(pass_exam, collector, programme.renewal_exam)

    assert list(Certificate.objects.all()) == [old]


def test_a_renewal_requested_before_the_suspension_issues_nothing(certify, collector, programme):
    old = renewable(collector, programme)
    certify(complete_course, collector, programme.refresher)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch", lambda request_id: False)
        certify(pass_exam, collector, programme.renewal_exam)
    request = IssuanceRequest.objects.get(kind=IssuanceKind.RENEWAL)
    suspended(old)

    assert issuance.issue(request.pk) is None

    request.refresh_from_db()
    assert request.completed_at is not None
    assert "suspended" in request.last_error
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUSPENDED


def test_once_reinstated_the_holder_renews_as_usual(certify, collector, programme):
    old = suspended(renewable(collector, programme))
    suspension.reinstate(old)
    certify(complete_course, collector, programme.refresher)

    certify(pass_exam, collector, programme.renewal_exam)

    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED


# --- The pages ---------------------------------------------------------------------------------


def test_the_verification_page_shows_suspended_with_the_category_and_date_only(client, certificate):
    suspended(certificate)
    started = certificate.open_suspension.started_at

    response = client.get(certificate.verification_url)

    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-status="suspended"' in text
    assert "已暂停" in text
    assert "稽核发现待处理" in text  # the category
    assert formats.date_format(timezone.localtime(started).date(), "DATE_FORMAT") in text
    assert PRIVATE_REASON not in text
    assert "稽核单号" not in text


def test_the_verification_page_in_english_names_the_category(client, certificate):
    suspended(certificate, category=LAW_CHANGE)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = client.get(certificate.verification_url).content.decode()
    assert "Suspended" in text
    assert "Legal update not completed" in text


def test_my_certificates_shows_the_suspension_and_does_not_offer_the_programme_again(
    client, collector, programme, certificate, django_assert_max_num_queries
):
    suspended(certificate)
    signed_in(client, collector)

    response = client.get(reverse("certificates:mine"))

    text = response.content.decode()
    assert response.status_code == 200
    assert [c.pk for c in response.context["suspended"]] == [certificate.pk]
    assert response.context["current"] == []
    assert "已暂停" in text
    assert "稽核发现待处理" in text
    assert PRIVATE_REASON not in text
    # Not listed among the certifications to earn: passing again would not certify anyone.
    assert all(
        item.programme.pk != programme.programme.pk for item in response.context["in_progress"]
    )


def test_the_holder_is_emailed_when_suspended_and_when_reinstated(
    certify, certificate, auditor, mailoutbox
):
    mailoutbox.clear()

    certify(suspension.suspend, certificate, category=FINDING, reason=PRIVATE_REASON, by=auditor)

    (suspended,) = mailoutbox
    assert suspended.to == [certificate.holder.email]
    assert "已暂停" in suspended.subject
    assert "原因: 稽核发现待处理" in suspended.body  # the category
    assert PRIVATE_REASON not in suspended.body  # the category only, as on the public page
    assert certificate.serial in suspended.body

    certify(suspension.reinstate, certificate, by=auditor)

    assert len(mailoutbox) == 2
    assert "已恢复有效" in mailoutbox[1].subject
    assert certificate.serial in mailoutbox[1].body


def test_a_law_change_suspension_email_links_the_update_course(certify, collector, mailoutbox):
    from .update_factories import certificate_on, make_module, superseding_change

    change = superseding_change()
    programme = make_programme().programme
    module = make_module(programme, change)
    certificate = certificate_on(collector, programme, change.old)
    mailoutbox.clear()

    certify(suspension.suspend, certificate, category=LAW_CHANGE, reason="deadline", module=module)

    (message,) = mailoutbox
    assert module.course.title in message.body
    assert module.course.url.lstrip("/") in message.body


# --- Reinstating a certificate whose legal-update deadline passed meanwhile --------------------


def test_reinstating_after_a_missed_update_deadline_switches_to_the_update(
    certify, collector, auditor, mailoutbox
):
    """Review item 8: the finding goes away but the update deadline passed while it was
    suspended; the certificate stays suspended, for the update, with no status announced."""
    from exams.certificates import signals

    from .update_factories import certificate_on, make_module, superseding_change

    change = superseding_change()
    programme = make_programme().programme
    module = make_module(programme, change, deadline=timezone.localdate() - timedelta(days=1))
    # Issued on the old basis well before: its own deadline is the module's (updates.deadline_for).
    issued = timezone.now() - timedelta(days=200)
    certificate = certificate_on(collector, programme, change.old, now=issued)
    certify(suspension.suspend, certificate, category=FINDING, reason=PRIVATE_REASON, by=auditor)
    certificate.refresh_from_db()
    since = certificate.status_changed_at
    mailoutbox.clear()
    seen = []

    def listen(sender, certificate, status, **kwargs):
        seen.append(status)

    signals.certificate_status_changed.connect(listen, dispatch_uid="test-switch")
    try:
        ended = certify(updates.reinstate, certificate, by=auditor)
    finally:
        signals.certificate_status_changed.disconnect(dispatch_uid="test-switch")

    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_changed_at) == (
        CertificateStatus.SUSPENDED,
        since,
    )
    assert seen == []  # no status change, so no webhook and no recompute
    assert ended.category == FINDING and ended.ended_by == auditor
    assert ended.outcome == CertificateSuspension.Outcome.REPLACED
    current = certificate.open_suspension
    assert (current.category, current.update_module) == (LAW_CHANGE, module)
    assert current.started_by is None and module.course.title in current.reason
    (message,) = mailoutbox  # the holder learns which course brings it back
    assert module.course.title in message.body


def test_a_deadline_still_ahead_does_not_stop_the_reinstatement(certify, collector, auditor):
    from .update_factories import certificate_on, make_module, superseding_change

    change = superseding_change()
    programme = make_programme().programme
    make_module(programme, change, deadline=timezone.localdate())  # the day itself still counts
    issued = timezone.now() - timedelta(days=200)
    certificate = certificate_on(collector, programme, change.old, now=issued)
    suspended(certificate, by=auditor)

    ended = certify(updates.reinstate, certificate, by=auditor)

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert ended.outcome == CertificateSuspension.Outcome.REINSTATED
