"""Update modules (exams/certificates/updates.py): who is affected, notices, the refreshed
certificate, suspension after the deadline, and what holders and managers see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from exams.certificates import basis, issuance, lifecycle, signals, suspension, tasks, updates
from exams.certificates.models import (
    HELD_STATUSES,
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    IssuanceRequest,
    UpdateNotice,
)
from exams.certificates.suspension import suspend
from tests.conftest import signed_in
from tests.courses.pages import add_lesson

from .certificate_factories import complete_course, make_programme, passing_attempt, use_fast_pdf
from .update_factories import (
    certificate_on,
    correction,
    make_module,
    on_old_wording,
    superseding_change,
    update_course,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def change():
    return superseding_change()


@pytest.fixture
def programme():
    return make_programme().programme


# Issued well before the module went live: the module's deadline is the one in force.
ISSUED_BEFORE = timedelta(days=120)


@pytest.fixture
def certificate(collector, programme, change):
    return certificate_on(collector, programme, change.old, now=timezone.now() - ISSUED_BEFORE)


@pytest.fixture
def module(programme, change):
    return make_module(programme, change)


def after_deadline(module) -> timezone.datetime:
    return timezone.now() + timedelta(
        days=(module.effective_deadline - timezone.localdate()).days + 1
    )


def captured(signal):
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    signal.connect(receiver, weak=False)
    return seen, lambda: signal.disconnect(receiver)


# --- Who is affected ---------------------------------------------------------------------------


def test_certificates_on_the_old_version_are_affected_and_others_are_not(
    collector, other_collector, programme, change, module
):
    on_old = certificate_on(collector, programme, change.old)
    certificate_on(other_collector, programme, change.new)

    assert list(updates.affected_certificates(module)) == [on_old]


def test_another_programmes_certificates_are_not_affected(collector, change, module):
    other = make_programme().programme
    certificate_on(collector, other, change.old)

    assert not updates.affected_certificates(module).exists()


def test_a_certificate_suspended_for_this_module_stays_affected_one_suspended_otherwise_not(
    collector, other_collector, programme, change, module
):
    for_module = certificate_on(collector, programme, change.old)
    for_finding = certificate_on(other_collector, programme, change.old)
    suspend(for_module, category="law-change", reason="逾期", module=module)
    suspend(for_finding, category="finding", reason="稽核发现")

    assert list(updates.affected_certificates(module)) == [for_module]


def test_a_correction_affects_certificates_on_the_old_wording_only(
    collector, other_collector, programme
):
    change = correction()
    module = make_module(programme, change)
    old_wording = certificate_on(collector, programme)
    on_old_wording(old_wording, change)
    certificate_on(other_collector, programme, change.new)  # issued after the correction

    assert list(updates.affected_certificates(module)) == [old_wording]


def test_the_default_deadline_is_90_days_after_publication_or_taking_effect(module, change):
    published = timezone.localdate(module.course.first_published_at)
    expected = max(published, change.takes_effect) + timedelta(days=90)

    assert module.effective_deadline == expected


def test_a_module_whose_course_is_not_live_has_no_deadline_and_notifies_nobody(certificate, module):
    module.course.unpublish()
    module.refresh_from_db()

    assert module.effective_deadline is None
    assert updates.notify_holders(module) == 0
    assert updates.pending_updates(Certificate.objects.all()) == {}


# --- Notices -----------------------------------------------------------------------------------


def test_each_holder_is_emailed_once_however_often_the_sweep_runs(
    collector, other_collector, programme, change, module, django_capture_on_commit_callbacks
):
    certificate_on(collector, programme, change.old)
    certificate_on(other_collector, programme, change.old)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_update_holders() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.notify_update_holders() == 0

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [collector.email, other_collector.email]
    )
    assert UpdateNotice.objects.filter(module=module).count() == 2
    deadline = module.effective_deadline
    body = mail.outbox[0].body
    assert module.course.title in body
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in mail.outbox[0].subject


def test_a_notice_the_broker_could_not_take_is_released_for_the_next_sweep(
    certificate, module, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(updates.send_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        updates.notify_holders(module)

    assert not UpdateNotice.objects.exists()


# --- Suspension after the deadline -------------------------------------------------------------


def test_nothing_is_suspended_on_the_deadline_day(certificate, module):
    deadline = module.effective_deadline
    on_deadline = timezone.make_aware(
        timezone.datetime(deadline.year, deadline.month, deadline.day, 23)
    )

    assert updates.suspend_overdue(on_deadline) == 0
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_after_the_deadline_affected_certificates_are_suspended_once(
    certificate, module, django_capture_on_commit_callbacks
):
    seen, disconnect = captured(signals.certificate_status_changed)
    later = after_deadline(module)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert updates.suspend_overdue(later) == 1
            assert updates.suspend_overdue(later) == 0
    finally:
        disconnect()

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    suspension = certificate.suspensions.get()
    assert suspension.category == CertificateSuspension.Category.LAW_CHANGE
    assert suspension.update_module == module
    assert module.course.title in suspension.reason
    assert [kwargs["status"] for kwargs in seen] == [CertificateStatus.SUSPENDED]


def test_the_command_suspends_overdue_certificates(certificate, module, capsys):
    module.deadline = timezone.localdate() - timedelta(days=1)
    module.save()

    call_command("suspend_overdue_updates")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    assert "Suspended 1 certificate(s)" in capsys.readouterr().out


def test_the_beat_schedule_runs_the_notices_and_the_suspension(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "exams.certificates.tasks.notify_update_holders" in tasks_scheduled
    assert "exams.certificates.tasks.suspend_overdue_updates" in tasks_scheduled


def test_the_daily_task_suspends_after_a_deadline_set_in_the_past(certificate, module):
    module.deadline = timezone.localdate() - timedelta(days=1)
    module.save()

    assert tasks.suspend_overdue_updates() == 1


# --- Refresh -----------------------------------------------------------------------------------


def test_completing_the_course_writes_a_refresh_request_in_that_transaction(
    collector, certificate, module
):
    complete_course(collector, module.course)  # no on-commit callbacks run: nothing dispatched

    request = IssuanceRequest.objects.get(holder=collector, completed_at__isnull=True)
    assert request.kind == IssuanceKind.REFRESH
    assert request.update_module == module
    assert request.renews == certificate
    assert request.attempt is None


def test_completing_the_course_without_an_affected_certificate_requests_nothing(
    other_collector, module
):
    complete_course(other_collector, module.course)

    assert not IssuanceRequest.objects.exists()


def test_the_refreshed_certificate_keeps_expiry_and_score_on_the_new_basis(
    collector, certificate, module, change, django_capture_on_commit_callbacks
):
    seen, disconnect = captured(signals.certificate_status_changed)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            complete_course(collector, module.course)
    finally:
        disconnect()

    certificate.refresh_from_db()
    refreshed = certificate.superseded_by
    assert certificate.status == CertificateStatus.SUPERSEDED
    assert refreshed.status == CertificateStatus.VALID
    assert refreshed.expires_at == certificate.expires_at
    assert refreshed.score == certificate.score
    assert refreshed.serial != certificate.serial
    assert refreshed.pdf.name
    assert refreshed.request.kind == IssuanceKind.REFRESH
    assert set(refreshed.basis.all()) == {change.new}
    assert [(kw["certificate"], kw["status"]) for kw in seen] == [
        (certificate, CertificateStatus.SUPERSEDED)
    ]
    assert not updates.affected_certificates(module).exists()
    # The holder got the refreshed certificate by email, with its PDF.
    assert refreshed.serial in mail.outbox[-1].attachments[0][0]


def test_the_new_basis_keeps_other_articles_and_adds_the_course_citations(
    collector, programme, change
):
    other = superseding_change().new
    certificate = certificate_on(collector, programme, change.old, other)
    cited = superseding_change().new
    module = make_module(programme, change)
    add_lesson(
        module.course,
        "另一条",
        slug="another",
        body=[{"type": "citation", "value": {"regulation": cited.pk, "note": ""}}],
    )

    complete_course(collector, module.course)
    request = IssuanceRequest.objects.get(completed_at__isnull=True)
    refreshed = issuance.issue(request.pk)

    assert refreshed is not None
    assert set(refreshed.basis.all()) == {change.new, other, cited}
    assert not refreshed.basis.filter(pk=certificate.basis.get(pk=change.old_id).pk).exists()


def test_a_refreshed_correction_keeps_the_row_with_the_new_digest(collector, programme):
    change = correction()
    certificate = certificate_on(collector, programme)
    on_old_wording(certificate, change)
    module = make_module(programme, change)

    complete_course(collector, module.course)
    refreshed = issuance.issue(IssuanceRequest.objects.get(completed_at__isnull=True).pk)

    assert refreshed is not None
    entry = refreshed.basis_entries.get(regulation=change.new)
    assert entry.text_digest == updates.text_digest(change.new_text)
    assert not updates.affected_certificates(module).exists()


def test_a_suspended_holder_who_completes_is_reinstated_with_a_refreshed_certificate(
    collector, certificate, module, django_capture_on_commit_callbacks
):
    updates.suspend_overdue(after_deadline(module))
    seen, disconnect = captured(signals.certificate_status_changed)
    issued, disconnect_issued = captured(signals.certificate_issued)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            complete_course(collector, module.course)
    finally:
        disconnect()
        disconnect_issued()

    certificate.refresh_from_db()
    refreshed = certificate.superseded_by
    assert certificate.status == CertificateStatus.SUPERSEDED
    assert refreshed.status == CertificateStatus.VALID
    assert refreshed.expires_at == certificate.expires_at
    suspension = certificate.suspensions.get()
    assert suspension.ended_at is not None
    assert suspension.outcome == CertificateSuspension.Outcome.REFRESHED
    assert [kw["certificate"] for kw in issued] == [refreshed]
    assert (refreshed, CertificateStatus.VALID) in [
        (kw["certificate"], kw["status"]) for kw in seen
    ]


def test_issuing_a_refresh_twice_makes_one_certificate(collector, certificate, module):
    complete_course(collector, module.course)
    request = IssuanceRequest.objects.get(completed_at__isnull=True)

    first = issuance.issue(request.pk)
    second = issuance.issue(request.pk)

    assert first == second
    assert Certificate.objects.filter(holder=collector).count() == 2  # the old and the new


def test_a_certificate_revoked_before_the_refresh_is_not_refreshed(
    collector, auditor, certificate, module
):
    complete_course(collector, module.course)
    lifecycle.revoke(certificate, by=auditor, reason="冒充律师")
    request = IssuanceRequest.objects.get(completed_at__isnull=True)

    assert issuance.issue(request.pk) is None
    request.refresh_from_db()
    assert request.completed_at is not None
    assert "revoked" in request.last_error


# --- What holders see --------------------------------------------------------------------------


def test_my_certificates_shows_update_required_with_the_deadline_and_the_course(
    client, collector, certificate, module
):
    signed_in(client, collector)
    response = client.get(reverse("certificates:mine"))

    deadline = module.effective_deadline
    content = response.content.decode()
    assert f"需更新 — 截止 {deadline.year}年{deadline.month}月{deadline.day}日" in content
    assert module.course.url in content


def test_my_certificates_shows_suspended_after_the_deadline(client, collector, certificate, module):
    updates.suspend_overdue(after_deadline(module))
    signed_in(client, collector)

    content = client.get(reverse("certificates:mine")).content.decode()

    assert "已暂停" in content
    assert "需更新" not in content
    assert module.course.url in content


def test_my_certificates_shows_nothing_to_update_after_the_refresh(
    client, collector, certificate, module, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(collector, module.course)
    signed_in(client, collector)

    content = client.get(reverse("certificates:mine")).content.decode()

    assert "需更新" not in content
    assert certificate.superseded_by_id is None  # the fixture's copy; the page reads the DB
    assert Certificate.objects.get(pk=certificate.pk).superseded_by.serial in content


def test_my_certificates_costs_the_same_queries_with_more_certificates(
    client, collector, programme, change, module, django_assert_max_num_queries
):
    certificate_on(collector, programme, change.old)
    signed_in(client, collector)
    client.get(reverse("certificates:mine"))
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("certificates:mine"))
    for _ in range(3):
        certificate_on(collector, make_programme().programme, change.old)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("certificates:mine"))


# --- Review fixes (issue 13 review: items 1, 2, 3, 7, 9, 16a) ---------------------------------


def test_valid_and_suspended_are_the_held_statuses_everywhere():
    from lms.compliance.dashboard import roster

    assert set(HELD_STATUSES) == {CertificateStatus.VALID, CertificateStatus.SUSPENDED}
    assert not hasattr(updates, "AFFECTED_STATUSES")
    assert not hasattr(lifecycle, "EXPIRABLE")
    assert not hasattr(roster, "CURRENT_STATES")


def test_a_version_whose_successor_is_cited_too_is_left_out():
    assert basis.without_superseded({1: 2, 2: None, 3: None, 4: 9}) == {2, 3, 4}


def test_an_update_course_citing_the_old_article_beside_the_new_one_refreshes_to_the_new(
    collector, certificate, programme, change
):
    course = update_course(change)
    add_lesson(
        course,
        "新旧对照",
        slug="old-beside-new",
        body=[
            {"type": "citation", "value": {"regulation": change.old_id, "note": ""}},
            {"type": "citation", "value": {"regulation": change.new_id, "note": ""}},
        ],
    )
    module = make_module(programme, change, course=course)

    complete_course(collector, module.course)
    refreshed = issuance.issue(IssuanceRequest.objects.get(completed_at__isnull=True).pk)

    assert refreshed is not None
    assert set(refreshed.basis.all()) == {change.new}
    assert not updates.affected_certificates(module).exists()


def test_the_replaced_version_never_comes_back_even_when_its_link_is_missing(
    collector, certificate, programme, change
):
    # The library lost the superseded_by link (a reload); the course cites the old article.
    type(change.old).objects.filter(pk=change.old_id).update(superseded_by=None)
    course = update_course(change)
    add_lesson(
        course,
        "旧条文",
        slug="old-only",
        body=[{"type": "citation", "value": {"regulation": change.old_id, "note": ""}}],
    )
    module = make_module(programme, change, course=course)

    complete_course(collector, module.course)
    refreshed = issuance.issue(IssuanceRequest.objects.get(completed_at__isnull=True).pk)

    assert refreshed is not None
    assert set(refreshed.basis.all()) == {change.new}


def test_a_refresh_leaves_a_finding_suspension_that_arrived_after_the_request(
    collector, auditor, certificate, module
):
    complete_course(collector, module.course)  # the request is written; the worker is slow
    request = IssuanceRequest.objects.get(completed_at__isnull=True)
    suspend(certificate, category="finding", reason="稽核发现", by=auditor)

    assert issuance.issue(request.pk) is None

    request.refresh_from_db()
    assert request.completed_at is not None
    assert "audit finding" in request.last_error
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    assert certificate.superseded_by_id is None
    open_suspension = certificate.suspensions.get(ended_at__isnull=True)
    assert open_suspension.category == CertificateSuspension.Category.FINDING


def test_a_refresh_leaves_a_suspension_for_another_module(
    collector, certificate, programme, change, module
):
    other_change = superseding_change()
    certificate_basis = certificate.basis_entries.model
    certificate_basis.objects.create(
        certificate=certificate,
        regulation=other_change.old,
        text_digest=updates.text_digest(other_change.old.text),
    )
    other = make_module(programme, other_change)
    complete_course(collector, module.course)
    request = IssuanceRequest.objects.get(completed_at__isnull=True)
    suspend(certificate, category="law-change", reason="逾期", module=other)

    assert issuance.issue(request.pk) is None
    request.refresh_from_db()
    assert "another update module" in request.last_error
    assert certificate.suspensions.get(ended_at__isnull=True).update_module == other


def test_the_sweep_requests_a_refresh_for_a_course_completed_before_the_module_went_live(
    collector, certificate, programme, change, django_capture_on_commit_callbacks
):
    course = update_course(change)
    complete_course(collector, course)  # before the module exists: the event finds nothing
    module = make_module(programme, change, course=course)
    assert not IssuanceRequest.objects.filter(kind=IssuanceKind.REFRESH).exists()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_update_holders()

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUPERSEDED
    assert certificate.superseded_by.request.update_module == module
    assert updates.request_missed_refreshes() == []  # nothing left to request


def test_the_sweep_waits_for_another_open_request_then_requests_the_refresh(
    collector, certificate, programme, module, caplog
):
    renewal = IssuanceRequest.objects.create(
        holder=collector,
        programme=programme,
        kind=IssuanceKind.RENEWAL,
        attempt=passing_attempt(collector, programme.final_exam),
        renews=certificate,
    )
    complete_course(collector, module.course)  # the open renewal wins: no refresh request
    assert not IssuanceRequest.objects.filter(kind=IssuanceKind.REFRESH).exists()

    with caplog.at_level("INFO", logger="exams.certificates.updates"):
        assert updates.request_missed_refreshes() == []
    assert "another request is open" in caplog.text

    renewal.completed_at, renewal.last_error = timezone.now(), "closed for the test"
    renewal.save()
    [request] = updates.request_missed_refreshes()
    assert (request.kind, request.update_module, request.renews) == (
        IssuanceKind.REFRESH,
        module,
        certificate,
    )
    assert updates.request_missed_refreshes() == []  # one open request is enough


def test_the_sweep_requests_the_refresh_once_a_finding_suspension_is_lifted(
    collector, auditor, certificate, module
):
    suspend(certificate, category="finding", reason="稽核发现", by=auditor)
    complete_course(collector, module.course)  # suspended for a finding: not affected then
    assert not IssuanceRequest.objects.filter(kind=IssuanceKind.REFRESH).exists()
    assert updates.request_missed_refreshes() == []

    suspension.reinstate(certificate, by=auditor)

    [request] = updates.request_missed_refreshes()
    assert request.renews == certificate


def test_a_certificate_issued_on_the_old_basis_after_the_module_went_live_gets_a_full_period(
    collector, programme, change, django_capture_on_commit_callbacks
):
    module = make_module(programme, change, deadline=timezone.localdate() + timedelta(days=10))
    late = certificate_on(collector, programme, change.old)  # issued today, on the old basis
    own = timezone.localdate(late.issued_at) + timedelta(days=90)

    assert updates.pending_updates(Certificate.objects.all())[late.pk].deadline == own
    with django_capture_on_commit_callbacks(execute=True):
        updates.notify_holders(module)
    assert f"{own.year}年{own.month}月{own.day}日" in mail.outbox[-1].subject

    after_module_deadline = timezone.now() + timedelta(days=20)
    assert updates.suspend_overdue(after_module_deadline) == 0
    after_own = timezone.now() + timedelta(days=92)
    assert updates.suspend_overdue(after_own) == 1
    late.refresh_from_db()
    assert late.status == CertificateStatus.SUSPENDED


def test_a_certificate_with_an_open_refresh_request_is_not_suspended(
    collector, certificate, module
):
    complete_course(collector, module.course)  # the worker has not run yet

    assert updates.suspend_overdue(after_deadline(module)) == 0
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
