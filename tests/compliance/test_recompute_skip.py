"""The full recompute skips collectors whose inputs have not changed (compliance/fingerprints.py).

Each test changes one input the way no event announces it (a bulk update, a row written
directly, the clock moving on) and checks that the next full recompute rates that collector
again — a new snapshot when the rating changed — while an unchanged collector is skipped and
gets no snapshot and no audit event. Runs on SQLite and on PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.models import CPDEntry, CPDSource
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    ProgrammeAssignment,
)
from lms.accounts.models import Firm, User
from lms.auditlog.models import AuditEvent
from lms.compliance import formula, recompute
from lms.compliance.models import CollectorRating, Finding, FindingStatus, RatingSnapshot
from tests.compliance.factories import make_finding
from tests.exams.certificate_factories import issue_certificate, make_programme
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

A_CLEAN = Decimal("93.13")  # certified today at 92.50 %, nothing else (see test_recompute.py)


@pytest.fixture
def pair(firm, programme):
    """Two certified collectors of ``firm``, rated once: the first is the one a test changes."""
    people = [MembershipFactory(firm=firm).user for _ in range(2)]
    for person in people:
        issue_certificate(person, programme)
    first = recompute.full()
    assert (first.changed, first.skipped) == (2, 0)
    return people


def snapshots_of(user) -> int:
    return RatingSnapshot.objects.filter(user=user).count()


def rating_events() -> int:
    return AuditEvent.objects.filter(event_type="rating.snapshots_written").count()


def rated_until(firm: Firm, programme: CertificationProgramme, expires: datetime) -> User:
    """A collector of ``firm`` whose certificate expires at ``expires``, rated once."""
    collector = MembershipFactory(firm=firm).user
    certificate = issue_certificate(collector, programme)
    Certificate.objects.filter(pk=certificate.pk).update(expires_at=expires)
    recompute.full()
    return collector


def test_an_unchanged_run_skips_everyone_and_writes_nothing(pair):
    events = rating_events()
    before = list(CollectorRating.objects.order_by("pk").values_list("pk", "computed_at"))

    outcome = recompute.full()

    assert (outcome.collectors, outcome.skipped) == (2, 2)
    assert (outcome.changed, outcome.refreshed) == (0, 0)
    assert RatingSnapshot.objects.count() == 2
    assert rating_events() == events
    assert list(CollectorRating.objects.order_by("pk").values_list("pk", "computed_at")) == before


def test_a_finding_confirmed_without_an_event_is_caught_by_the_next_run(pair, auditor):
    changed, unchanged = pair
    finding = make_finding(changed, by=auditor, severity="minor")
    # As a bulk correction would: no service, no event, no recompute queued.
    Finding.objects.filter(pk=finding.pk).update(
        status=FindingStatus.CONFIRMED, occurred_on=timezone.localdate()
    )
    events = rating_events()

    outcome = recompute.full()

    assert (outcome.changed, outcome.skipped) == (1, 1)
    assert CollectorRating.objects.get(user=changed).score == A_CLEAN - 5
    assert (snapshots_of(changed), snapshots_of(unchanged)) == (2, 1)
    event = AuditEvent.objects.filter(event_type="rating.snapshots_written").order_by("seq")[events]
    assert event.persons == [changed.pk]


def test_a_revocation_written_directly_is_caught_by_the_next_run(pair):
    changed, unchanged = pair
    Certificate.objects.filter(holder=changed).update(
        status=CertificateStatus.REVOKED, revoked_at=timezone.now()
    )

    outcome = recompute.full()

    rating = CollectorRating.objects.get(user=changed)
    assert (rating.certificate_status, rating.grade) == (formula.LAPSED_REVOKED, "D")
    assert (outcome.changed, outcome.skipped) == (1, 1)
    assert snapshots_of(changed) == 2 and snapshots_of(unchanged) == 1


def test_a_deleted_finding_is_caught_by_the_next_run(firm, programme, auditor):
    collector = MembershipFactory(firm=firm).user
    issue_certificate(collector, programme)
    finding = make_finding(collector, by=auditor, severity="minor")
    Finding.objects.filter(pk=finding.pk).update(
        status=FindingStatus.CONFIRMED, occurred_on=timezone.localdate()
    )
    recompute.full()
    assert CollectorRating.objects.get(user=collector).score == A_CLEAN - 5

    Finding.objects.filter(pk=finding.pk).delete()
    outcome = recompute.full()

    assert outcome.changed == 1
    assert CollectorRating.objects.get(user=collector).score == A_CLEAN


def test_the_next_day_skips_the_timeless_and_rates_the_fading_again(pair, auditor):
    fading, timeless = pair
    finding = make_finding(fading, by=auditor, severity="major")
    Finding.objects.filter(pk=finding.pk).update(
        status=FindingStatus.CONFIRMED, occurred_on=timezone.localdate()
    )
    recompute.full()
    assert CollectorRating.objects.get(user=fading).score == A_CLEAN - 15

    outcome = recompute.full(now=timezone.now() + timedelta(days=1))

    # A day older, the finding takes 15 × 729/730 = 14.98: 78.15.
    assert CollectorRating.objects.get(user=fading).score == Decimal("78.15")
    assert (outcome.changed, outcome.skipped) == (1, 1)
    assert snapshots_of(timeless) == 1


def test_a_certificate_expiring_is_caught_when_it_expires(firm, programme):
    soon = timezone.now() + timedelta(days=100)
    collector = rated_until(firm, programme, soon)
    rating = CollectorRating.objects.get(user=collector)
    assert rating.recheck_at is not None and rating.recheck_at < soon  # the countdown begins

    # Past the expiry, before the daily job marks it: expired, no certification points.
    outcome = recompute.full(now=soon + timedelta(minutes=1))

    rating = CollectorRating.objects.get(user=collector)
    assert rating.certificate_status == formula.LAPSED_EXPIRED
    assert (rating.score, rating.grade) == (Decimal("45.00"), "D")
    assert [cap["code"] for cap in rating.components["caps"]] == ["lapsed_certificate"]
    assert outcome.changed == 1


def test_the_expiry_countdown_starts_sixty_days_before(firm, programme):
    collector = rated_until(firm, programme, timezone.now() + timedelta(days=90))
    assert recompute.full(now=timezone.now() + timedelta(days=20)).skipped == 1

    outcome = recompute.full(now=timezone.now() + timedelta(days=45))

    assert outcome.changed == 1
    assert (
        CollectorRating.objects.get(user=collector).components["certification"]["expiry_points"]
        < 10
    )


def test_an_assignment_falling_overdue_and_cpd_hours_leaving_the_window_are_caught(
    firm, programme, trainer
):
    collector = MembershipFactory(firm=firm).user
    issue_certificate(collector, programme)
    today = timezone.localdate()
    ProgrammeAssignment.objects.create(
        user=collector, programme=programme, firm=firm, due_on=today + timedelta(days=2)
    )
    CPDEntry.objects.create(
        user=collector,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(12),
        earned_on=today - timedelta(days=360),
        reason="测试",
        created_by=trainer,
    )
    recompute.full()
    assert CollectorRating.objects.get(user=collector).score == A_CLEAN + 5
    assert recompute.full(now=timezone.now() + timedelta(days=1)).skipped == 1

    recompute.full(now=timezone.now() + timedelta(days=3))  # overdue: −7.50
    assert CollectorRating.objects.get(user=collector).score == A_CLEAN + 5 - Decimal("7.50")
    recompute.full(now=timezone.now() + timedelta(days=6))  # the 12 hours are gone: −5
    assert CollectorRating.objects.get(user=collector).score == A_CLEAN - Decimal("7.50")
    assert snapshots_of(collector) == 3


def test_a_membership_ending_on_a_date_moves_the_rating_off_the_roster(pair):
    leaving, staying = pair
    membership = leaving.memberships.get()
    membership.active_to = timezone.localdate()
    membership.save(update_fields=["active_to"])
    recompute.full()  # a membership row changed: rated again, still with the firm today
    assert CollectorRating.objects.get(user=leaving).firm_id == membership.firm_id

    outcome = recompute.full(now=timezone.now() + timedelta(days=1))

    assert CollectorRating.objects.get(user=leaving).firm_id is None
    assert (outcome.refreshed, outcome.skipped) == (1, 1)
    assert snapshots_of(leaving) == 1  # same score: refreshed, no snapshot


def test_a_new_formula_version_or_programme_rates_everyone_again(pair, monkeypatch):
    monkeypatch.setattr(formula, "FORMULA_VERSION", "2099.1")
    outcome = recompute.full()
    assert (outcome.changed, outcome.skipped) == (2, 0)
    assert recompute.full().skipped == 2

    make_programme(courses=0)  # a second required programme nobody holds yet
    outcome = recompute.full()

    assert (outcome.changed, outcome.skipped) == (2, 0)


def test_a_rating_without_a_fingerprint_is_rated_once_more(pair):
    CollectorRating.objects.update(input_fingerprint=None)

    outcome = recompute.full()

    assert (outcome.changed, outcome.refreshed, outcome.skipped) == (0, 2, 0)
    assert recompute.full().skipped == 2
    assert RatingSnapshot.objects.count() == 2


def test_an_event_recompute_stores_the_fingerprint_the_nightly_run_then_trusts(pair, auditor):
    changed, _ = pair
    finding = make_finding(changed, by=auditor, severity="minor")
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.CONFIRMED)
    recompute.for_users([changed.pk], reason="finding_confirmed")

    outcome = recompute.full()

    assert (outcome.changed, outcome.refreshed, outcome.skipped) == (0, 0, 2)
