"""Certificate decisions in the audit log: issued, superseded, suspended, reinstated, revoked,
expired — each written once, by the path people (or beat) take, naming the certificate, the
holder and the holder's firm, and never written when the action fails or is rolled back.

Paths: the issuance task (``issue_certificate``), completing a legal-update course (the refresh),
the findings admin (suspend, dismiss, confirm), the certificate admin's revoke form, the nightly
tasks (``suspend_overdue_updates``, ``expire_certificates``), and the trainer's attendance pages.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.models import RegistrationState
from exams.certificates import attendance, audit, issuance, lifecycle, suspension, tasks
from exams.certificates.models import (
    AttendanceCertificate,
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    IssuanceRequest,
)
from lms.auditlog.models import ActorKind, AuditEvent, EventFirm, EventPerson
from lms.compliance.models import Severity
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.factories import make_finding
from tests.conftest import make_user, signed_in
from tests.content.checkin_support import live_session, register
from tests.exams.certificate_factories import (
    complete_course,
    issue_certificate,
    make_programme,
    passing_attempt,
    use_fast_pdf,
)
from tests.exams.update_factories import certificate_on, make_module, superseding_change
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
REASON = "录音显示威胁债务人家属，待稽核结论"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def membership(firm, collector):
    return MembershipFactory(firm=firm, user=collector)


@pytest.fixture
def programme(db):
    return make_programme(courses=0, refresher=False, renewal_exam=False)


@pytest.fixture
def certificate(collector, membership, programme):
    return issue_certificate(collector, programme.programme)


@pytest.fixture
def certify(django_capture_on_commit_callbacks):
    """Run a step as its request would: what it queues after commit (the tasks) runs too."""

    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run


@pytest.fixture
def auditor_client(auditor):
    return signed_in(Client(), auditor)


def firms_of(firm) -> list[dict]:
    return [{"id": firm.pk, "code": firm.credit_code}]


def assert_about(event: AuditEvent, certificate, holder, firm) -> None:
    """The event names the certificate by serial (not the holder's name), the holder as the
    person concerned and the holder's firm, and its index rows select it on both trails."""
    assert (event.subject_type, event.subject_id) == (
        certificate._meta.label_lower,
        str(certificate.pk),
    )
    assert event.subject_label == certificate.serial
    assert event.persons == [holder.pk]
    assert event.firms == firms_of(firm)
    assert event.payload["certificate_id"] == certificate.pk
    assert event.payload["serial"] == certificate.serial
    assert holder.legal_name not in str(event.payload)
    assert EventFirm.objects.filter(event=event, firm_id=firm.pk).exists()
    assert EventPerson.objects.filter(event=event, person_id=holder.pk).exists()


def no_certificate_events() -> None:
    assert not AuditEvent.objects.filter(event_type__startswith="certificate.").exists()


# --- Issued ------------------------------------------------------------------------------------


def test_the_issuance_task_records_the_certificate_issued(collector, membership, firm, programme):
    attempt = passing_attempt(collector, programme.exam, percent="87.50")
    request = IssuanceRequest.objects.create(
        holder=collector, programme=programme.programme, attempt=attempt
    )

    certificate_id = tasks.issue_certificate.delay(request.pk).get()
    tasks.issue_certificate.delay(request.pk).get()  # a duplicate delivery records nothing

    certificate = Certificate.objects.get(pk=certificate_id)
    event = one_event(
        "certificate.issued",
        actor_kind=ActorKind.SYSTEM,
        actor_id="exams.certificates.tasks.issue_certificate",
    )
    assert_about(event, certificate, collector, firm)
    assert event.payload["issuance_kind"] == IssuanceKind.INITIAL
    assert event.payload["attempt_id"] == attempt.pk
    assert event.payload["request_id"] == request.pk
    assert event.payload["score"] == "87.50"  # a decimal string, never a float
    assert event.payload["status"] == CertificateStatus.VALID
    assert event.payload["expires_at"].startswith(f"{certificate.expires_at.astimezone().year}")
    assert event.request_id  # the task's id ties the event to the worker's log


def test_a_failed_issuance_records_nothing(collector, membership, programme, monkeypatch):
    attempt = passing_attempt(collector, programme.exam)
    request = IssuanceRequest.objects.create(
        holder=collector, programme=programme.programme, attempt=attempt
    )

    def broken_basis(certificate, request):
        raise RuntimeError("the basis could not be recorded")

    monkeypatch.setattr(issuance.basis, "record_basis", broken_basis)
    with pytest.raises(RuntimeError):
        issuance.issue(request.pk)

    assert not Certificate.objects.exists()
    no_certificate_events()


def test_a_holder_without_a_membership_has_no_firm_on_the_event(collector, programme):
    issue_certificate(collector, programme.programme)

    event = one_event("certificate.issued")
    assert (event.firms, event.persons) == ([], [collector.pk])


def test_the_firms_are_those_of_the_day_of_the_change(collector, firm, programme):
    """A membership that ended before the day, or starts after it, is not the holder's firm."""
    other = FirmFactory(name="旧东家催收公司")
    MembershipFactory(
        firm=other,
        user=collector,
        active_from=timezone.localdate() - 400 * DAY,
    ).end(timezone.localdate() - 100 * DAY)
    MembershipFactory(firm=firm, user=collector, active_from=timezone.localdate() - 10 * DAY)

    issue_certificate(collector, programme.programme)

    assert one_event("certificate.issued").firms == firms_of(firm)
    old = audit.holder_firms([collector.pk], timezone.now() - 200 * DAY)
    assert old[collector.pk] == [other]


# --- Superseded (renewal, legal-update refresh) --------------------------------------------------


def test_a_renewal_records_the_new_certificate_and_the_old_one_superseded(
    collector, membership, firm
):
    programme = make_programme(courses=0).programme
    old = issue_certificate(
        collector, programme, now=timezone.now() - relativedelta(months=24) + 30 * DAY
    )
    renewed = issue_certificate(collector, programme, kind=IssuanceKind.RENEWAL, renews=old)

    event = one_event("certificate.superseded")
    assert_about(event, old, collector, firm)
    assert event.payload["from_status"] == CertificateStatus.VALID
    assert event.payload["status"] == CertificateStatus.SUPERSEDED
    assert event.payload["superseded_by_id"] == renewed.pk
    assert event.payload["superseded_by_serial"] == renewed.serial
    assert event.payload["issuance_kind"] == IssuanceKind.RENEWAL
    issued = events_of("certificate.issued")
    assert [e.subject_id for e in issued] == [str(old.pk), str(renewed.pk)]
    assert issued[1].payload["renews_id"] == old.pk
    assert issued[1].seq < event.seq  # the new certificate exists before it supersedes


def test_a_renewal_refused_for_a_revoked_certificate_supersedes_nothing(
    collector, membership, auditor
):
    programme = make_programme(courses=0).programme
    old = issue_certificate(
        collector, programme, now=timezone.now() - relativedelta(months=24) + 30 * DAY
    )
    lifecycle.revoke(old, by=auditor, reason="冒充律师")
    attempt = passing_attempt(collector, programme.final_exam)
    request = IssuanceRequest.objects.create(
        holder=collector, programme=programme, attempt=attempt, kind="renewal", renews=old
    )

    assert issuance.issue(request.pk) is None

    assert events_of("certificate.superseded") == []
    assert len(events_of("certificate.issued")) == 1  # the old one's, only


def test_completing_the_update_course_refreshes_a_suspended_certificate(
    certify, collector, membership, firm
):
    programme = make_programme(courses=0).programme
    change = superseding_change()
    old = certificate_on(collector, programme, change.old, now=timezone.now() - 120 * DAY)
    module = make_module(programme, change)
    opened = suspension.suspend(old, category="law-change", reason="逾期未完成更新", module=module)

    certify(complete_course, collector, module.course)  # the issuance task runs after commit

    old.refresh_from_db()
    new = old.superseded_by
    assert new is not None
    event = one_event("certificate.superseded")
    assert_about(event, old, collector, firm)
    assert event.payload["from_status"] == CertificateStatus.SUSPENDED
    assert event.payload["issuance_kind"] == IssuanceKind.REFRESH
    assert event.payload["superseded_by_id"] == new.pk
    assert event.payload["suspension_ended_id"] == opened.pk
    refreshed = events_of("certificate.issued")[-1]
    assert refreshed.subject_id == str(new.pk)
    assert refreshed.payload["update_module_id"] == module.pk
    assert refreshed.payload["renews_id"] == old.pk
    assert change.new_id in refreshed.payload["basis"]
    assert refreshed.actor_id == "exams.certificates.tasks.issue_certificate"


# --- Suspended and reinstated (findings admin, nightly task) -------------------------------------


@pytest.fixture
def critical(collector, membership, auditor):
    return make_finding(collector, by=auditor, severity=Severity.CRITICAL)


def finding_url(name, finding):
    return reverse(f"compliance_findings:{name}", args=[finding.pk])


def suspend_over_http(client, finding, certificates, reason=REASON):
    return client.post(
        finding_url("suspend_certificates", finding),
        {"reason": reason, "certificates": [c.pk for c in certificates]},
    )


def test_an_auditor_suspending_from_the_findings_admin_records_it(
    auditor_client, auditor, critical, certificate, collector, firm
):
    assert suspend_over_http(auditor_client, critical, [certificate], reason=" ").status_code == 200
    assert events_of("certificate.suspended") == []  # no reason: nothing suspended

    response = suspend_over_http(auditor_client, critical, [certificate])

    assert response.status_code == 302
    opened = certificate.suspensions.get()
    event = one_event("certificate.suspended", actor_kind=ActorKind.USER, actor_id=str(auditor.pk))
    assert_about(event, certificate, collector, firm)
    assert event.payload["from_status"] == CertificateStatus.VALID
    assert event.payload["status"] == CertificateStatus.SUSPENDED
    assert event.payload["category"] == CertificateSuspension.Category.FINDING
    assert event.payload["suspension_id"] == opened.pk
    # The free-text reason is personal data: out of the hashed payload, in the personal part.
    assert REASON not in str(event.payload)
    assert event.personal["reason"] == REASON
    # Suspending again changes nothing and records nothing.
    suspension.suspend(certificate, category="finding", reason=REASON, by=auditor)
    assert len(events_of("certificate.suspended")) == 1


def test_suspending_an_expired_certificate_is_refused_and_records_nothing(certificate, auditor):
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - 800 * DAY, expires_at=timezone.now() - DAY
    )

    with pytest.raises(suspension.SuspensionError):
        suspension.suspend(certificate, category="finding", reason=REASON, by=auditor)

    assert events_of("certificate.suspended") == []


def test_the_nightly_task_records_each_suspension_after_a_missed_deadline(
    collector, membership, firm
):
    programme = make_programme(courses=0).programme
    change = superseding_change()
    certificate = certificate_on(collector, programme, change.old, now=timezone.now() - 120 * DAY)
    module = make_module(programme, change, deadline=timezone.localdate() - DAY)

    assert tasks.suspend_overdue_updates.delay().get() == 1
    assert tasks.suspend_overdue_updates.delay().get() == 0

    event = one_event(
        "certificate.suspended",
        actor_kind=ActorKind.SYSTEM,
        actor_id="exams.certificates.tasks.suspend_overdue_updates",
    )
    assert_about(event, certificate, collector, firm)
    assert event.payload["category"] == CertificateSuspension.Category.LAW_CHANGE
    assert event.payload["update_module_id"] == module.pk


def test_dismissing_the_finding_records_the_reinstatement(
    auditor_client, auditor, critical, certificate, collector, firm
):
    suspend_over_http(auditor_client, critical, [certificate])

    response = auditor_client.post(finding_url("dismiss", critical), {"note": "录音不是本人。"})

    assert response.status_code == 302
    ended = certificate.suspensions.get()
    event = one_event("certificate.reinstated", actor_kind=ActorKind.USER, actor_id=str(auditor.pk))
    assert_about(event, certificate, collector, firm)
    assert event.payload["from_status"] == CertificateStatus.SUSPENDED
    assert event.payload["status"] == CertificateStatus.VALID
    assert event.payload["suspension_id"] == ended.pk
    assert event.payload["suspension_outcome"] == CertificateSuspension.Outcome.REINSTATED
    assert suspension.reinstate(certificate) is None  # not suspended: nothing more recorded
    assert len(events_of("certificate.reinstated")) == 1


def test_dismissing_after_a_missed_update_deadline_records_the_new_suspension(
    auditor_client, auditor, critical, collector, firm
):
    """The finding's suspension ends, but the certificate stays suspended for the update whose
    deadline passed meanwhile: a new suspension (recorded), no reinstatement."""
    change = superseding_change()
    programme = make_programme(courses=0).programme
    module = make_module(programme, change, deadline=timezone.localdate() - 3 * DAY)
    overdue = certificate_on(collector, programme, change.old, now=timezone.now() - 200 * DAY)
    suspend_over_http(auditor_client, critical, [overdue])
    finding_suspension = overdue.suspensions.get()

    response = auditor_client.post(finding_url("dismiss", critical), {"note": "录音不是本人。"})

    assert response.status_code == 302
    assert events_of("certificate.reinstated") == []
    first, switched = events_of("certificate.suspended")
    assert first.payload["suspension_id"] == finding_suspension.pk
    assert_about(switched, overdue, collector, firm)
    assert switched.payload["from_status"] == CertificateStatus.SUSPENDED
    assert switched.payload["category"] == CertificateSuspension.Category.LAW_CHANGE
    assert switched.payload["update_module_id"] == module.pk
    assert switched.payload["replaces_suspension_id"] == finding_suspension.pk
    assert switched.payload["suspension_id"] == overdue.open_suspension.pk
    assert (switched.actor_kind, switched.actor_id) == (ActorKind.USER, str(auditor.pk))


def test_a_confirmation_that_fails_half_way_records_no_reinstatement_or_revocation(
    auditor_client, critical, collector, membership, programme
):
    """The auditor reinstates one certificate and revokes the other without a reason: the
    whole decision is refused, so the reinstatement done before the refusal is rolled back
    with its event."""
    certificates = [
        issue_certificate(collector, make_programme(courses=0).programme) for _ in range(2)
    ]
    suspend_over_http(auditor_client, critical, certificates)
    first, second = sorted(certificates, key=lambda c: (c.programme_name, c.pk))
    data = {
        "note": "证据确凿。",
        f"action_{first.pk}": "reinstate",
        f"action_{second.pk}": "revoke",  # no reason given for it
    }

    response = auditor_client.post(finding_url("confirm", critical), data)

    assert response.status_code == 200
    assert {c.status for c in Certificate.objects.filter(pk__in=[first.pk, second.pk])} == {
        CertificateStatus.SUSPENDED
    }
    assert events_of("certificate.reinstated") == []
    assert events_of("certificate.revoked") == []
    assert len(events_of("certificate.suspended")) == 2


def test_reinstating_after_the_expiry_records_the_certificate_expired(
    certificate, auditor, collector, firm
):
    suspension.suspend(certificate, category="finding", reason=REASON, by=auditor)
    later = certificate.expires_at + DAY

    suspension.reinstate(certificate, by=auditor, now=later)

    assert events_of("certificate.reinstated") == []
    event = one_event("certificate.expired", actor_id=str(auditor.pk))
    assert event.payload["from_status"] == CertificateStatus.SUSPENDED
    assert event.payload["suspension_outcome"] == CertificateSuspension.Outcome.EXPIRED


# --- Revoked (certificate admin) ---------------------------------------------------------------


def test_revoking_from_the_certificate_admin_records_it_with_the_reason(
    auditor_client, auditor, certificate, collector, firm
):
    url = reverse("exams_certificates:revoke", args=[certificate.pk])
    assert auditor_client.post(url, {"reason": "  "}).status_code == 200  # refused: no reason
    assert events_of("certificate.revoked") == []

    response = auditor_client.post(url, {"reason": "冒充律师催收"})

    assert response.status_code == 302
    event = one_event("certificate.revoked", actor_kind=ActorKind.USER, actor_id=str(auditor.pk))
    assert_about(event, certificate, collector, firm)
    assert event.payload["from_status"] == CertificateStatus.VALID
    assert event.payload["status"] == CertificateStatus.REVOKED
    assert event.payload["suspension_ended_id"] is None
    assert event.personal["reason"] == "冒充律师催收"
    assert "冒充律师催收" not in str(event.payload)
    assert event.request_id == response["X-Request-ID"]


def test_revoking_twice_records_one_revocation(certificate, auditor):
    lifecycle.revoke(certificate, by=auditor, reason="冒充律师催收")
    with pytest.raises(lifecycle.RevocationError):
        lifecycle.revoke(certificate, by=auditor, reason="再次吊销")

    assert len(events_of("certificate.revoked")) == 1


def test_a_revocation_rolled_back_by_its_caller_leaves_no_event(certificate, auditor):
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.revoke(certificate, by=auditor, reason="冒充律师催收")
        assert len(events_of("certificate.revoked")) == 1  # written, inside the transaction
        raise RuntimeError("the deciding transaction failed after the revocation")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert events_of("certificate.revoked") == []


def test_revoking_a_suspended_certificate_names_the_suspension_it_ended(certificate, auditor):
    opened = suspension.suspend(certificate, category="finding", reason=REASON, by=auditor)

    lifecycle.revoke(certificate, by=auditor, reason="稽核确认违规")

    event = one_event("certificate.revoked")
    assert event.payload["from_status"] == CertificateStatus.SUSPENDED
    assert event.payload["suspension_ended_id"] == opened.pk


# --- Expired (the daily task) ------------------------------------------------------------------


def expiring(holder, programme, left: timedelta) -> Certificate:
    certificate = issue_certificate(holder, programme, now=timezone.now() - 400 * DAY)
    Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() + left)
    certificate.refresh_from_db()
    return certificate


def test_the_daily_task_records_one_expiry_per_certificate(
    collector, other_collector, membership, firm, auditor
):
    other_firm = FirmFactory(name="华南催收有限公司")
    MembershipFactory(firm=other_firm, user=other_collector)
    programme = make_programme(courses=0).programme
    first = expiring(collector, programme, -DAY)
    second = expiring(other_collector, programme, -2 * DAY)
    opened = suspension.suspend(
        expiring(make_user("third@example.com", "王五"), make_programme(courses=0).programme, DAY),
        category="finding",
        reason=REASON,
        by=auditor,
    )
    Certificate.objects.filter(pk=opened.certificate_id).update(expires_at=timezone.now() - DAY)
    untouched = expiring(collector, make_programme(courses=0).programme, 10 * DAY)

    assert tasks.expire_certificates.delay().get() == 3
    assert tasks.expire_certificates.delay().get() == 0

    events = {event.subject_id: event for event in events_of("certificate.expired")}
    assert set(events) == {str(first.pk), str(second.pk), str(opened.certificate_id)}
    assert_about(events[str(first.pk)], first, collector, firm)
    assert_about(events[str(second.pk)], second, other_collector, other_firm)
    third = events[str(opened.certificate_id)]
    assert third.firms == []
    assert third.payload["from_status"] == CertificateStatus.SUSPENDED
    assert third.payload["suspension_ended_id"] == opened.pk
    assert events[str(first.pk)].payload["from_status"] == CertificateStatus.VALID
    for event in events.values():
        assert event.payload["status"] == CertificateStatus.EXPIRED
        assert (event.actor_kind, event.actor_id) == (
            ActorKind.SYSTEM,
            "exams.certificates.tasks.expire_certificates",
        )
    assert str(untouched.pk) not in events


def test_an_expiry_run_that_fails_records_nothing_and_expires_nothing(
    collector, other_collector, membership, monkeypatch
):
    programme = make_programme(courses=0).programme
    certificates = [expiring(user, programme, -DAY) for user in (collector, other_collector)]
    record = audit.record_certificate
    calls = []

    def fail_on_the_second(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return record(*args, **kwargs)

    monkeypatch.setattr(audit, "record_certificate", fail_on_the_second)
    with pytest.raises(RuntimeError):
        lifecycle.expire_certificates()

    assert {c.status for c in Certificate.objects.filter(pk__in=[c.pk for c in certificates])} == {
        CertificateStatus.VALID
    }
    assert events_of("certificate.expired") == []


def test_issuing_over_a_stale_certificate_records_its_expiry(collector, membership, firm):
    """A certificate past its expiry that the daily job has not marked yet is expired by the
    issuance that replaces it, with its event."""
    programme = make_programme(courses=0).programme
    stale = expiring(collector, programme, -DAY)

    issue_certificate(collector, programme)

    event = one_event("certificate.expired", subject_id=str(stale.pk))
    assert event.payload["from_status"] == CertificateStatus.VALID
    assert event.payload["while"] == "issuance"
    assert_about(event, stale, collector, firm)


# --- Certificates of attendance (the trainer's attendance pages) --------------------------------


def test_attendance_certificates_are_recorded_when_issued_and_when_revoked(
    trainer, collector, membership, firm, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(attendance, "render", lambda certificate: b"%PDF-1.7\n%%EOF\n")
    session = live_session()
    page = session.page
    page.attendance_certificates = True
    page.save()
    registration = register(session, collector)
    browser = signed_in(Client(), trainer)

    def post(url, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(url, data or {})
        assert response.status_code == 302, response.content.decode()[:300]

    mark = reverse("attendance_sessions:mark", args=[registration.pk])
    post(mark, {"state": RegistrationState.ATTENDED, "reason": "手机无法扫码"})
    post(reverse("attendance_sessions:close_session", args=[session.pk]))
    certificate = AttendanceCertificate.objects.get(registration=registration)

    issued = one_event("certificate.issued")
    assert_about(issued, certificate, collector, firm)
    assert issued.payload["kind"] == "attendance"
    assert issued.payload["hours"] == str(certificate.hours)
    assert Decimal(issued.payload["hours"]) > 0

    post(mark, {"state": RegistrationState.NO_SHOW, "reason": "核对签到表：未到场"})

    revoked = one_event("certificate.revoked", actor_kind=ActorKind.USER, actor_id=str(trainer.pk))
    assert_about(revoked, certificate, collector, firm)
    assert revoked.personal["reason"] == "核对签到表：未到场"
    assert revoked.payload["registration_state"] == RegistrationState.NO_SHOW
    assert revoked.payload["hours"] == str(certificate.hours)
