"""Ratings follow events (lms/compliance/rating_receivers.py, tasks/ratings.py).

Each event is caused the way users cause it — issuing, revoking and expiring certificates,
deciding findings, joining firms, assigning programmes — inside
``django_capture_on_commit_callbacks(execute=True)``, so the after-commit dispatch and the
(eager) Celery task run as they do in production.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from exams.certificates import lifecycle
from exams.certificates.models import ProgrammeAssignment
from lms.celery import app
from lms.compliance import findings, formula
from lms.compliance.models import CollectorRating, FirmRating, RatingSnapshot
from lms.compliance.tasks import ratings as tasks
from tests.compliance.factories import make_finding
from tests.exams.certificate_factories import issue_certificate
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

A_CLEAN = Decimal("93.13")  # 48.13 + 15 + 30: certified today at 92.50 %, clean record


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what the block queues after commit, as a committed transaction would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def holder(firm, programme, on_commit):
    """A collector of ``firm`` who has just been certified (the events ran)."""
    collector = MembershipFactory(firm=firm).user
    with on_commit():
        issue_certificate(collector, programme)
    return collector


def latest(user) -> RatingSnapshot:
    return RatingSnapshot.objects.filter(user=user).first()


def test_an_issued_certificate_rates_its_holder(holder, firm):
    rating = CollectorRating.objects.get(user=holder)
    assert (rating.score, rating.grade, rating.firm) == (A_CLEAN, "A", firm)
    assert latest(holder).reason == "certificate_issued"
    assert FirmRating.objects.get(firm=firm).active_collectors == 1


def test_a_revoked_certificate_lowers_the_rating(holder, auditor, on_commit):
    certificate = holder.certificates.get()
    with on_commit():
        lifecycle.revoke(certificate, by=auditor, reason="冒充律师催收。")

    rating = CollectorRating.objects.get(user=holder)
    # 0 + 15 + 30 = 45: D.
    assert (rating.score, rating.grade) == (Decimal("45.00"), "D")
    assert rating.certificate_status == formula.LAPSED_REVOKED
    assert latest(holder).reason == "certificate_revoked"


def test_an_expired_certificate_lowers_the_rating(firm, programme, on_commit):
    collector = MembershipFactory(firm=firm).user
    issue_certificate(collector, programme, now=timezone.now() - timedelta(days=800))

    with on_commit():
        lifecycle.expire_certificates()

    rating = CollectorRating.objects.get(user=collector)
    assert rating.certificate_status == formula.LAPSED_EXPIRED
    assert rating.grade == "D"
    assert latest(collector).reason == "certificate_expired"


def test_deciding_a_finding_recomputes_the_collector_and_the_firm(holder, firm, auditor, on_commit):
    finding = make_finding(
        holder, by=auditor, severity="critical", occurred_on=timezone.localdate()
    )
    with on_commit():
        findings.confirm(finding, by=auditor, note="录音证实。")

    rating = CollectorRating.objects.get(user=holder)
    # 30 deducted in full on the day: 63.13, and a critical finding caps at D.
    assert (rating.score, rating.grade) == (Decimal("63.13"), "D")
    assert latest(holder).reason == "finding_confirmed"
    assert FirmRating.objects.get(firm=firm).findings_per_100 == Decimal("100.00")


def test_an_appeal_suspends_the_finding_and_upholding_it_restores_the_rating(
    holder, auditor, on_commit
):
    finding = make_finding(holder, by=auditor, severity="major", occurred_on=timezone.localdate())
    with on_commit():
        findings.confirm(finding, by=auditor, note="录音证实。")
    assert CollectorRating.objects.get(user=holder).score == Decimal("78.13")  # 93.13 − 15

    with on_commit():
        findings.appeal(finding, by=holder, grounds="通话时间记录有误。")
    assert CollectorRating.objects.get(user=holder).score == A_CLEAN
    assert latest(holder).reason == "finding_appealed"

    with on_commit():
        findings.decide_appeal(finding, by=auditor, outcome="upheld", note="申诉成立。")
    # Dismissed: nothing changes any more, so no new snapshot.
    assert latest(holder).reason == "finding_appealed"


def test_joining_and_leaving_a_firm_moves_the_rating(holder, firm, on_commit):
    other = FirmFactory(name="晨曦资产管理有限公司")
    with on_commit():
        holder.memberships.get().end(timezone.localdate() - timedelta(days=1))
    assert CollectorRating.objects.get(user=holder).firm is None

    with on_commit():
        MembershipFactory(firm=other, user=holder)

    assert CollectorRating.objects.get(user=holder).firm == other
    assert FirmRating.objects.get(firm=firm).active_collectors == 0
    assert FirmRating.objects.get(firm=other).active_collectors == 1
    # The score never changed: one snapshot, from the certificate.
    assert RatingSnapshot.objects.filter(user=holder).count() == 1


def test_an_overdue_assignment_lowers_the_rating(holder, firm, programme, manager, on_commit):
    with on_commit():
        ProgrammeAssignment.objects.create(
            user=holder,
            programme=programme,
            firm=firm,
            assigned_by=manager,
            due_on=timezone.localdate() - timedelta(days=1),
        )

    # Half the 15 assignment points: 93.13 − 7.50 = 85.63.
    assert CollectorRating.objects.get(user=holder).score == Decimal("85.63")
    assert latest(holder).reason == "assignment_changed"


def test_a_broker_outage_never_breaks_the_users_action(firm, on_commit, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise BrokerError("connection refused")

    monkeypatch.setattr(tasks.recompute_collectors, "delay", unreachable)
    with caplog.at_level(logging.WARNING), on_commit():
        membership = MembershipFactory(firm=firm)

    assert membership.pk is not None
    assert not CollectorRating.objects.exists()
    assert "nightly run will" in caplog.text


def test_the_event_task_is_idempotent(holder):
    assert tasks.recompute_collectors.delay([holder.pk], "redelivered").get() == 0
    assert RatingSnapshot.objects.filter(user=holder).count() == 1


def test_the_nightly_task_recomputes_everyone(firm, programme):
    collector = MembershipFactory(firm=firm).user
    issue_certificate(collector, programme)  # its events never ran

    assert tasks.recompute_all_ratings.delay().get() == 1

    assert latest(collector).reason == "nightly"
    assert FirmRating.objects.filter(firm=firm).exists()


def test_beat_runs_the_nightly_recompute_at_half_past_two():
    entry = settings.CELERY_BEAT_SCHEDULE["recompute-all-ratings"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == crontab(hour=2, minute=30)
