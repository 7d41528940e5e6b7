"""The periodic task that closes attempts abandoned past their deadline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from exams import attempts
from exams.models import AttemptStatus
from exams.tasks import close_abandoned_attempts

from .factories import fill_bank, make_bank, make_exam


def test_it_grades_abandoned_attempts_with_their_saved_answers_and_is_idempotent(
    collector, other_collector
):
    bank = make_bank()
    fill_bank(bank, 2)
    exam = make_exam([{"bank": bank, "count": 2}], time_limit_minutes=20)
    now = timezone.now()
    abandoned = attempts.start_attempt(collector, exam, now - timedelta(minutes=30))
    row = abandoned.questions.select_related("version").get(position=1)
    right = next(c["id"] for c in row.version.data["choices"] if Decimal(c["fraction"]) > 0)
    attempts.save_answer(abandoned, 1, [right], now - timedelta(minutes=25))
    running = attempts.start_attempt(other_collector, exam, now - timedelta(minutes=5))

    assert close_abandoned_attempts.delay().get() == 1
    assert close_abandoned_attempts.delay().get() == 0

    abandoned.refresh_from_db()
    running.refresh_from_db()
    assert abandoned.status == AttemptStatus.TIMED_OUT
    assert (abandoned.score, abandoned.max_score, abandoned.passed) == (
        Decimal("1.00"),
        Decimal("2.00"),
        False,
    )
    assert abandoned.submitted_at == abandoned.deadline
    assert running.status == AttemptStatus.IN_PROGRESS


def test_it_is_on_the_beat_schedule_every_five_minutes():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "exams.tasks.close_abandoned_attempts"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"].minute == set(range(0, 60, 5))


def test_it_acknowledges_late_so_a_crashed_worker_leaves_it_for_another():
    assert close_abandoned_attempts.acks_late is True
