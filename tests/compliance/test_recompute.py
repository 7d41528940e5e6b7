"""The set-based recompute (lms/compliance/recompute.py): who is rated, what is written when,
firm aggregates and flags, the signal, the command, and a query count independent of size.

Expected scores are worked out by hand from the published formula; the common case is a
collector certified today at 92.50 % (30 + 8.13 + 10 = 48.13), no overdue assignment and no
recent course (15), clean conduct (30): 93.13, grade A.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from stdnum.cn import uscc

from exams.certificates.models import Certificate, CertificateStatus, ProgrammeAssignment
from lms.accounts.models import Firm, FirmKind, FirmStatus, Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.compliance import findings, formula, recompute, signals
from lms.compliance.models import (
    Appeal,
    CollectorRating,
    Finding,
    FindingStatus,
    FirmRating,
    FirmRatingSnapshot,
    RatingSnapshot,
)
from tests.compliance.factories import make_finding
from tests.conftest import make_user
from tests.exams.certificate_factories import issue_certificate
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

A_CLEAN = Decimal("93.13")


def certified(firm, programme, **certificate):
    """A collector of ``firm`` holding a valid certificate (92.50 % unless told otherwise)."""
    collector = MembershipFactory(firm=firm).user
    issue_certificate(collector, programme, **certificate)
    return collector


def confirmed(collector, auditor, **fields):
    finding = make_finding(collector, by=auditor, **fields)
    return findings.confirm(finding, by=auditor, note="录音证实。")


def test_the_first_recompute_rates_everyone_it_should_once(firm, programme, auditor, manager):
    collector = certified(firm, programme)
    uncertified = MembershipFactory(firm=firm).user
    # Managers are not rated.
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    firmless = make_user("left@example.com", "赵离职", Role.COLLECTOR)
    confirmed(firmless, auditor, severity="minor")
    make_user("idle@example.com", "钱空闲", Role.COLLECTOR)  # nothing to rate them on

    outcome = recompute.full(reason="nightly")

    ratings = {rating.user_id: rating for rating in CollectorRating.objects.all()}
    assert set(ratings) == {collector.pk, uncertified.pk, firmless.pk}
    assert (outcome.collectors, outcome.changed, outcome.refreshed) == (3, 3, 0)
    assert ratings[collector.pk].score == A_CLEAN
    assert ratings[collector.pk].grade == "A"
    assert ratings[collector.pk].firm_id == firm.pk
    assert ratings[collector.pk].certificate_status == formula.CERTIFIED
    assert ratings[collector.pk].formula_version == formula.FORMULA_VERSION
    # No certificate: 0 + 15 + 30 = 45, D.
    assert (ratings[uncertified.pk].score, ratings[uncertified.pk].grade) == (Decimal("45"), "D")
    assert ratings[uncertified.pk].certificate_status == formula.NOT_CERTIFIED
    assert ratings[firmless.pk].firm_id is None
    snapshots = RatingSnapshot.objects.all()
    assert snapshots.count() == 3
    assert {s.reason for s in snapshots} == {"nightly"}
    snapshot = snapshots.get(user=collector)
    assert snapshot.components == ratings[collector.pk].components
    assert snapshot.inputs["programmes"][0]["status"] == "valid"
    assert snapshot.inputs["as_of"] == timezone.localdate().isoformat()


def test_a_second_recompute_writes_nothing(firm, programme):
    certified(firm, programme)
    MembershipFactory(firm=firm)
    recompute.full()
    before = list(CollectorRating.objects.values_list("user_id", "computed_at"))

    outcome = recompute.full()

    assert (outcome.changed, outcome.refreshed, outcome.firms_changed) == (0, 0, 0)
    assert RatingSnapshot.objects.count() == 2
    assert FirmRatingSnapshot.objects.count() == 1
    assert list(CollectorRating.objects.values_list("user_id", "computed_at")) == before


def test_a_change_appends_a_snapshot_and_leaves_history_alone(firm, programme, auditor):
    collector = certified(firm, programme)
    recompute.full()
    first = RatingSnapshot.objects.get(user=collector)
    first_values = (first.score, first.grade, first.components, first.inputs, first.reason)

    confirmed(collector, auditor, severity="major", occurred_on=timezone.localdate() - timedelta(3))
    outcome = recompute.for_users([collector.pk], reason="finding_confirmed")

    # 15 × (1 − 3/730) = 14.94 deducted: 93.13 − 14.94 = 78.19, B.
    rating = CollectorRating.objects.get(user=collector)
    assert (rating.score, rating.grade) == (Decimal("78.19"), "B")
    assert outcome.changed == 1
    latest, earlier = RatingSnapshot.objects.filter(user=collector)  # newest first
    assert (latest.score, latest.reason) == (Decimal("78.19"), "finding_confirmed")
    earlier.refresh_from_db()
    assert (
        earlier.score,
        earlier.grade,
        earlier.components,
        earlier.inputs,
        earlier.reason,
    ) == first_values
    with pytest.raises(ValidationError):
        earlier.save()


def test_only_confirmed_findings_count(firm, programme, auditor):
    collector = certified(firm, programme)
    make_finding(collector, by=auditor, severity="critical")  # open
    findings.dismiss(make_finding(collector, by=auditor), by=auditor, note="不成立。")

    recompute.full()

    rating = CollectorRating.objects.get(user=collector)
    assert (rating.score, rating.grade) == (A_CLEAN, "A")


def test_a_critical_finding_caps_at_d(firm, programme, auditor):
    collector = certified(firm, programme)
    confirmed(
        collector, auditor, severity="critical", occurred_on=timezone.localdate() - timedelta(365)
    )

    recompute.full()

    # 30 × (1 − 365/730) = 15 deducted: 78.13 would be a B, but capped.
    rating = CollectorRating.objects.get(user=collector)
    assert rating.score == Decimal("78.13")
    assert rating.grade == "D"
    assert rating.components["caps"][0]["code"] == "critical_finding"


def test_moving_firm_refreshes_the_rating_without_a_snapshot(firm, programme):
    collector = certified(firm, programme)
    other = FirmFactory(name="晨曦资产管理有限公司")
    recompute.full()
    collector.memberships.get().end(timezone.localdate() - timedelta(days=1))
    MembershipFactory(firm=other, user=collector)

    outcome = recompute.for_users([collector.pk], reason="membership_changed")

    assert CollectorRating.objects.get(user=collector).firm == other
    assert (outcome.changed, outcome.refreshed) == (0, 1)
    assert RatingSnapshot.objects.filter(user=collector).count() == 1
    # Both firms' aggregates followed the move.
    assert FirmRating.objects.get(firm=firm).active_collectors == 0
    assert FirmRating.objects.get(firm=other).active_collectors == 1


def test_firm_aggregates_and_flags_never_touch_the_firms_status(programme, auditor):
    firm = FirmFactory(name="阳光资产管理有限公司", status=FirmStatus.ADMITTED)
    a = [certified(firm, programme) for _ in range(3)]
    certified(firm, programme, percent="60.00")  # 30 + 0 + 10 + 15 + 30 = 85.00, A
    MembershipFactory(firm=firm)  # not certified: 45.00, D
    confirmed(a[0], auditor, severity="minor", occurred_on=timezone.localdate())  # 88.13, A

    outcome = recompute.full()

    rating = FirmRating.objects.get(firm=firm)
    assert rating.active_collectors == 5
    assert rating.certified_share == Decimal("0.8000")  # 4 of 5: not below 80 %
    # (88.13 + 93.13 + 93.13 + 85.00 + 45.00) / 5 = 80.878 → 80.88
    assert rating.mean_score == Decimal("80.88")
    assert rating.findings_per_100 == Decimal("20.00")  # 1 finding per 5 collectors
    assert rating.grade_counts == {"A": 4, "B": 0, "C": 0, "D": 1}
    # 20 findings per 100 > 5, and 1 of 5 graded D = 20 % > 10 %.
    assert rating.flagged
    assert rating.flag_reasons == ["findings_per_100", "grade_d_share"]
    assert outcome.firms_flagged == 1
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED
    assert not firm.status_changes.exists()
    snapshot = FirmRatingSnapshot.objects.get(firm=firm)
    assert (snapshot.flagged, snapshot.flag_reasons) == (True, rating.flag_reasons)


def test_findings_count_against_the_firm_of_the_time(programme, auditor):
    then, now = FirmFactory(name="旧机构"), FirmFactory(name="新机构")
    collector = certified(then, programme)
    confirmed(collector, auditor, occurred_on=timezone.localdate() - timedelta(days=10))
    collector.memberships.get().end(timezone.localdate() - timedelta(days=1))
    MembershipFactory(firm=now, user=collector)
    certified(then, programme)  # someone is still there

    recompute.full()

    assert FirmRating.objects.get(firm=then).findings_per_100 == Decimal("100.00")
    assert FirmRating.objects.get(firm=now).findings_per_100 == Decimal("0.00")


def test_a_firm_snapshot_is_written_only_when_its_figures_change(firm, programme, auditor):
    collector = certified(firm, programme)
    recompute.full()
    recompute.full()
    assert FirmRatingSnapshot.objects.filter(firm=firm).count() == 1

    confirmed(collector, auditor, severity="minor")
    recompute.full()

    assert FirmRatingSnapshot.objects.filter(firm=firm).count() == 2


def test_a_new_formula_version_writes_every_rating_again(firm, programme, monkeypatch):
    certified(firm, programme)
    recompute.full()
    monkeypatch.setattr(formula, "FORMULA_VERSION", "2099.1")

    outcome = recompute.full()

    assert outcome.changed == 1
    assert RatingSnapshot.objects.first().formula_version == "2099.1"
    assert FirmRating.objects.get(firm=firm).formula_version == "2099.1"


def test_changes_are_announced_once_per_chunk_after_commit(
    firm, programme, django_capture_on_commit_callbacks
):
    first, second = certified(firm, programme), certified(firm, programme, percent="80.00")
    heard = []

    def listen(sender, changes, **kwargs):
        heard.append(changes)

    signals.ratings_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            recompute.full()
        assert heard == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        signals.ratings_changed.disconnect(listen)

    assert len(heard) == 1
    changes = {change.user_id: change for change in heard[0]}
    assert set(changes) == {first.pk, second.pk}
    change = changes[second.pk]
    # 30 + 5 + 10 + 15 + 30 = 90.00
    assert (change.score, change.grade, change.previous_grade) == (Decimal("90.00"), "A", None)
    assert change.firm_id == firm.pk
    assert change.snapshot_id == RatingSnapshot.objects.get(user=second).pk


def test_the_command_prints_what_changed_and_how_long_it_took(firm, programme):
    certified(firm, programme)
    MembershipFactory(firm=firm)
    out = StringIO()

    call_command("recompute_ratings", stdout=out)
    call_command("recompute_ratings", stdout=out)

    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"2 ratings changed \(of 2 collectors\) in \d+\.\d\d s", lines[0])
    assert lines[1] == "1 firm ratings changed (of 1 firms); 1 flagged for review"
    assert re.fullmatch(r"0 ratings changed \(of 2 collectors\) in \d+\.\d\d s", lines[2])
    assert RatingSnapshot.objects.first().reason == recompute.MANUAL


def seed(collectors: int, seed: int) -> None:
    call_command("seed_bench", collectors=collectors, seed=seed, force=True, stdout=StringIO())


def count_queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        recompute.full(**kwargs)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_collectors():
    limit = connection.features.max_query_params
    if limit is not None and limit < 5000 * len(recompute.RATING_FIELDS):
        pytest.skip(f"this SQLite build splits a 5,000-row insert (variable limit {limit})")
    seed(1000, seed=1)
    small_first, small_again = count_queries(), count_queries()
    seed(4000, seed=2)
    large_first, large_again = count_queries(), count_queries()

    assert CollectorRating.objects.count() > 4500
    assert small_first == large_first
    assert small_again == large_again
    assert large_again < small_first / 2  # nothing changed: no collector is read
    # Chunks are what add queries: five chunks of 1,000 cost more than one of 5,000.
    CollectorRating.objects.update(input_fingerprint=None)  # everyone is due again
    one_chunk = count_queries()
    CollectorRating.objects.update(input_fingerprint=None)
    assert count_queries(chunk_size=1000) > one_chunk


# --- seed_bench ----------------------------------------------------------------------------------


def test_seed_bench_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_bench", collectors=10, stdout=StringIO())
    assert not Certificate.objects.exists()


def test_seed_bench_makes_consistent_realistic_data():
    seed(400, seed=7)

    assert User.objects.filter(email__startswith="bench7-").count() == 400
    assert all(uscc.is_valid(code) for code in Firm.objects.values_list("credit_code", flat=True))
    assert set(Firm.objects.values_list("kind", flat=True)) == {FirmKind.LENDER, FirmKind.AGENCY}
    certificates = Certificate.objects.select_related("request__attempt")
    assert 2.5 <= certificates.count() / 400 <= 3.5
    assert set(certificates.values_list("status", flat=True)) == set(CertificateStatus.values)
    for certificate in certificates[:50]:
        assert certificate.request.holder_id == certificate.holder_id
        assert certificate.request.attempt.user_id == certificate.holder_id
        assert certificate.request.attempt.passed
        assert certificate.expires_at > certificate.issued_at
    # At most one valid certificate each (the database constraint holds), none past its expiry.
    assert not Certificate.objects.filter(
        status=CertificateStatus.VALID, expires_at__lte=timezone.now()
    ).exists()
    assert Finding.objects.count() == 80
    assert set(Finding.objects.values_list("status", flat=True)) == set(FindingStatus.values)
    assert Appeal.objects.count() == Finding.objects.filter(status=FindingStatus.APPEALED).count()
    assert ProgrammeAssignment.objects.overdue().exists()
    active = Membership.objects.active().filter(role=MembershipRole.COLLECTOR).count()
    assert 0.9 * 400 <= active < 400  # a few have left their firm

    with pytest.raises(CommandError, match="exists already"):
        seed(10, seed=7)
