"""``seed_demo`` writes its history through the services that record events, so the demo's
audit trail is populated and verifies, and a second run (the command is idempotent) adds no
second history of what already exists."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from lms.accounts.models import FirmStatusChange, Membership
from lms.admission.models import Decision, DecisionState
from lms.auditlog.models import AuditEvent, Checkpoint, VerificationRun
from lms.auditlog.verification import verify_database

pytestmark = pytest.mark.django_db

# The accounts and admission events (lms.accounts, lms.admission); other apps' demo events are
# asserted by their own tests.
ACCOUNT_TYPES = ("firm.status_changed", "membership.started", "admission.decided")


def seed() -> None:
    call_command("seed_demo", "--force", stdout=StringIO())


def ids_of(event_type: str, field: str) -> list:
    return [
        event.payload[field]
        for event in AuditEvent.objects.filter(event_type=event_type).order_by("seq")
    ]


def test_seed_demo_twice_leaves_a_verifying_trail_of_accounts_and_admission(client):
    seed()
    first = verify_database()
    assert first.ok, (first.first_bad_seq, first.problem)
    counts = Counter(
        AuditEvent.objects.filter(event_type__in=ACCOUNT_TYPES).values_list("event_type", flat=True)
    )

    # Every firm status change, membership and admission decision the demo made has its event.
    assert sorted(ids_of("firm.status_changed", "change")) == sorted(
        FirmStatusChange.objects.values_list("pk", flat=True)
    )
    assert sorted(ids_of("membership.started", "membership")) == sorted(
        Membership.objects.values_list("pk", flat=True)
    )
    decided = Counter(ids_of("admission.decided", "decision"))
    for decision in Decision.objects.all():
        # A confirmed decision was proposed, then confirmed: two steps.
        expected = 2 if decision.confirmed_by_id else 1
        assert decided[decision.pk] == expected, decision
    assert Decision.objects.filter(state=DecisionState.EFFECTIVE).count() >= 3
    steps = set(ids_of("admission.decided", "step"))
    assert {"decided", "proposed", "confirmed"} <= steps
    assert counts["firm.status_changed"] >= 5  # the demo firms and the admitted / banned ones

    # The events point at the firms and people they concern.
    started = AuditEvent.objects.filter(event_type="membership.started").first()
    assert started is not None and started.persons and started.firms

    seed()
    second = verify_database()
    assert second.ok, (second.first_bad_seq, second.problem)
    assert second.events >= first.events
    again = Counter(
        AuditEvent.objects.filter(event_type__in=ACCOUNT_TYPES).values_list("event_type", flat=True)
    )
    assert again == counts  # idempotent: nothing of accounts or admission happened twice


def test_the_demo_trail_shows_every_kind_of_decision_the_demo_makes(client):
    """The demo goes through the services of every app, so its trail has their events: a
    reviewer opening the admin trail after ``make run`` sees certificates, exams, findings,
    ratings, tokens and the regulation load, not only accounts."""
    seed()
    present = set(AuditEvent.objects.values_list("event_type", flat=True))
    expected = {
        "regulations.loaded",
        "membership.started",
        "firm.status_changed",
        "admission.decided",
        "certificate.issued",
        "attempt.submitted",
        "attempt.graded",
        "finding.recorded",
        "rating.snapshots_written",
        "api_token.created",
    }
    assert expected <= present, sorted(expected - present)
    result = verify_database()
    assert result.ok, (result.first_bad_seq, result.problem)
    # Its last step signed the head and verified it, so the admin shows the trail as verified.
    head = AuditEvent.objects.order_by("-seq").first()
    assert Checkpoint.objects.filter(seq=head.seq, hash=head.hash).exists()
    assert VerificationRun.objects.latest().ok
