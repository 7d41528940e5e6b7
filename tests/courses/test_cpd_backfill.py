"""Courses completed before the CPD ledger existed are credited: by the data migration
``courses.0006`` at deploy and by ``manage.py backfill_cpd`` for an operator — each completed
enrolment once, at the course's stated hours, online, on the Beijing day of completion."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courses import cpd
from courses.models import CPDEntry, CPDSource, Enrolment
from lms.accounts.models import User

from .pages import make_course

BEFORE = [("courses", "0005_cpd_permissions")]
# 16:30 UTC on 31 March is 00:30 on 1 April in Beijing.
COMPLETED = datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _people(count: int) -> list[User]:
    return [
        User.objects.create_user(email=f"learner{n}@example.test", password="x")
        for n in range(count)
    ]


def _completions(users, courses) -> list[Enrolment]:
    """Completed enrolments recorded without the signal (as before the ledger)."""
    return [
        Enrolment.objects.create(user=user, course=course, completed_at=COMPLETED)
        for user, course in zip(users, courses, strict=True)
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_credits_past_completions_once(monkeypatch):
    hour_and_a_half = make_course(slug="bf-a", estimated_minutes=90)
    fifty_minutes = make_course(slug="bf-b", estimated_minutes=50)
    users = _people(5)

    _migrate(BEFORE)
    done = _completions(users[:4], [hour_and_a_half, fifty_minutes, hour_and_a_half, fifty_minutes])
    ongoing = Enrolment.objects.create(user=users[4], course=hour_and_a_half)
    already = CPDEntry.objects.create(
        user=users[2],
        source=CPDSource.COURSE,
        hours=Decimal("1.50"),
        earned_on=datetime.date(2026, 4, 1),
        enrolment=done[2],
    )
    # Batches of two: the three completions to credit take two.
    migration = importlib.import_module("courses.migrations.0006_backfill_course_cpd_hours")
    monkeypatch.setattr(migration, "BATCH", 2)

    _migrate(_latest())

    credited = {e.enrolment_id: e for e in CPDEntry.objects.exclude(pk=already.pk)}
    assert set(credited) == {done[0].pk, done[1].pk, done[3].pk}
    first, second = credited[done[0].pk], credited[done[1].pk]
    assert (first.user_id, first.hours) == (users[0].pk, Decimal("1.50"))
    assert (second.user_id, second.hours) == (users[1].pk, Decimal("0.83"))  # 50/60 half up
    for entry in credited.values():
        assert entry.source == CPDSource.COURSE and entry.offline is False
        assert entry.registration_id is None
        assert entry.earned_on == datetime.date(2026, 4, 1)  # the Beijing day
    assert not CPDEntry.objects.filter(enrolment=ongoing).exists()
    assert CPDEntry.objects.filter(enrolment=done[2]).count() == 1

    # Reversing removes nothing (ledger history); forward again credits nothing more.
    _migrate(BEFORE)
    assert CPDEntry.objects.count() == 4
    _migrate(_latest())
    assert CPDEntry.objects.count() == 4


@pytest.mark.django_db
def test_the_command_credits_completions_without_an_entry_and_is_idempotent(capsys):
    course = make_course(slug="bf-cmd", estimated_minutes=95)
    users = _people(3)
    past = _completions(users[:2], [course, course])
    cpd.credit_course(past[1])  # credited already
    Enrolment.objects.create(user=users[2], course=course)  # not completed

    call_command("backfill_cpd", "--batch-size", "1")

    assert "1 course completion(s) credited" in capsys.readouterr().out
    entry = CPDEntry.objects.get(enrolment=past[0])
    assert (entry.user, entry.hours, entry.offline) == (users[0], Decimal("1.58"), False)
    assert entry.earned_on == datetime.date(2026, 4, 1)
    assert CPDEntry.objects.filter(enrolment=past[1]).count() == 1
    assert cpd.balances(users[0]) == (Decimal("1.58"), Decimal("0"))

    call_command("backfill_cpd")

    assert "0 course completion(s) credited" in capsys.readouterr().out
    assert CPDEntry.objects.count() == 2
