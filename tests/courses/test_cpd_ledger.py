"""The CPD hours ledger: attendance and course completions credit hours exactly once,
corrections append, staff adjustments are checked, and a cycle counts the right days."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from content.models import ChangeVia, Registration, RegistrationState
from content.signals import attendance_changed
from courses import cpd
from courses.models import CPDEntry, CPDSource
from tests.factories import make_session

from .pages import lessons_of, make_course

S = RegistrationState
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def booked(user, session) -> Registration:
    with transaction.atomic():
        registration = Registration(session=session, user=user)
        registration.change_state(S.BOOKED, via=ChangeVia.SELF, actor=user)
    return registration


def move(registration: Registration, to: str, *, hours=None, actor=None, reason="") -> None:
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if hours is not None:
            locked.attended_hours = Decimal(hours)
        locked.change_state(to, via=ChangeVia.TRAINER, actor=actor, reason=reason)
        # change_state clears attended_hours unless partly attended; set it after for partial
        if hours is not None and to == S.PARTLY_ATTENDED:
            Registration.objects.filter(pk=locked.pk).update(attended_hours=Decimal(hours))


def hours_of(user) -> list[Decimal]:
    return list(CPDEntry.objects.filter(user=user).order_by("pk").values_list("hours", flat=True))


@pytest.fixture
def session(db):
    start = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=datetime.UTC)  # 21 Nov in Beijing
    return make_session(start=start, hours=3)


def test_attendance_credits_the_session_length_once_on_its_beijing_day(collector, session):
    registration = booked(collector, session)
    move(registration, S.ATTENDED)
    entry = CPDEntry.objects.get(user=collector)
    assert entry.hours == Decimal("3.00")
    assert entry.source == CPDSource.SESSION and entry.registration == registration
    assert entry.offline is True
    assert entry.earned_on == datetime.date(2026, 11, 21)


def test_the_signal_delivered_twice_credits_nothing_more(collector, session):
    registration = booked(collector, session)
    move(registration, S.ATTENDED)
    registration.refresh_from_db()
    change = registration.changes.last()
    with transaction.atomic():
        attendance_changed.send(sender=Registration, registration=registration, change=change)
    cpd.credit_attendance(registration)
    assert hours_of(collector) == [Decimal("3.00")]


def test_a_correction_appends_a_debit_and_the_entries_add_up(collector, trainer, session):
    registration = booked(collector, session)
    move(registration, S.ATTENDED)
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        locked.attended_hours = Decimal("1.5")
        # change_state keeps attended_hours for partly attended
        locked.change_state(S.PARTLY_ATTENDED, via=ChangeVia.TRAINER, actor=trainer, reason="早退")
    assert hours_of(collector) == [Decimal("3.00"), Decimal("-1.50")]
    debit = CPDEntry.objects.filter(user=collector).last()
    assert debit.reason == "早退" and debit.created_by == trainer
    move(registration, S.NO_SHOW, actor=trainer, reason="没有来")
    assert hours_of(collector) == [Decimal("3.00"), Decimal("-1.50"), Decimal("-1.50")]
    assert cpd.balances(collector) == (Decimal("0.00"), Decimal("0.00"))
    move(registration, S.ATTENDED, actor=trainer, reason="补签")
    assert cpd.balances(collector)[0] == Decimal("3.00")


def test_session_cpd_hours_override_the_length_and_online_sessions_are_not_offline(collector):
    session = make_session(
        hours=2, cpd_hours=Decimal("1.25"), mode="online", online_url="https://x.cn/"
    )
    move(booked(collector, session), S.ATTENDED)
    entry = CPDEntry.objects.get(user=collector)
    assert (entry.hours, entry.offline) == (Decimal("1.25"), False)


def test_a_cancelled_booking_credits_nothing(collector, session):
    registration = booked(collector, session)
    move(registration, S.CANCELLED)
    assert not CPDEntry.objects.exists()


def test_entries_cannot_be_edited_or_deleted(collector, session):
    move(booked(collector, session), S.ATTENDED)
    entry = CPDEntry.objects.get()
    entry.hours = Decimal(10)
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


# --- Courses ------------------------------------------------------------------------------------


def test_completing_a_course_credits_its_stated_hours_once(client, collector):
    course = make_course(estimated_minutes=95)
    client.force_login(collector)
    client.post(f"/learning/enrol/{course.pk}/")
    for lesson in lessons_of(course):
        client.post(f"/learning/complete/{lesson.pk}/")
    entry = CPDEntry.objects.get(user=collector)
    assert (entry.source, entry.hours, entry.offline) == (CPDSource.COURSE, Decimal("1.58"), False)
    assert entry.earned_on == timezone.localdate()
    # Completing a lesson again, or crediting again, adds nothing.
    client.post(f"/learning/complete/{lessons_of(course)[0].pk}/")
    assert cpd.credit_course(entry.enrolment) is None
    assert CPDEntry.objects.filter(user=collector).count() == 1


# --- Adjustments --------------------------------------------------------------------------------


def test_an_adjustment_needs_a_reason_and_hours(collector, trainer):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        cpd.adjust(collector, Decimal(2), offline=False, earned_on=today, reason=" ", actor=trainer)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        cpd.adjust(collector, Decimal(0), offline=False, earned_on=today, reason="x", actor=trainer)
    assert "hours" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        cpd.adjust(
            collector,
            Decimal(1),
            offline=False,
            earned_on=today + datetime.timedelta(days=1),
            reason="x",
            actor=trainer,
        )
    assert "earned_on" in error.value.message_dict
    assert not CPDEntry.objects.exists()


def test_a_debit_cannot_take_the_ledger_below_zero(collector, trainer):
    today = timezone.localdate()
    cpd.adjust(
        collector, Decimal(3), offline=True, earned_on=today, reason="外部培训", actor=trainer
    )
    with pytest.raises(ValidationError):
        cpd.adjust(
            collector, Decimal(-4), offline=False, earned_on=today, reason="错", actor=trainer
        )
    entry = cpd.adjust(
        collector, Decimal(-3), offline=True, earned_on=today, reason="重复录入", actor=trainer
    )
    assert entry.created_by == trainer and entry.source == CPDSource.ADJUSTMENT
    assert cpd.balances(collector) == (Decimal("0.00"), Decimal("0.00"))


# --- Cycles -------------------------------------------------------------------------------------


class Programme:
    pk = 1
    cpd_hours_required = Decimal(12)
    cpd_offline_hours_required = Decimal(4)
    cpd_cycle_months = 12


@pytest.mark.parametrize(
    ("earned_on", "counted"),
    [
        (datetime.date(2025, 12, 7), False),  # the day before the cycle
        (datetime.date(2025, 12, 8), True),  # its first day
        (datetime.date(2026, 12, 7), True),  # its last day (the renewal)
        (datetime.date(2026, 12, 8), False),  # after it
    ],
)
def test_the_cycle_is_the_months_ending_on_the_renewal_day(collector, trainer, earned_on, counted):
    CPDEntry.objects.create(
        user=collector,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(5),
        earned_on=earned_on,
        reason="测试",
        created_by=trainer,
    )
    progress = cpd.cycle_progress(collector, Programme(), on=datetime.date(2026, 12, 7))
    assert (progress.starts_on, progress.ends_on) == (
        datetime.date(2025, 12, 8),
        datetime.date(2026, 12, 7),
    )
    assert progress.hours == (Decimal(5) if counted else 0)


def test_progress_counts_offline_hours_and_corrections(collector, trainer):
    on = datetime.date(2026, 12, 7)
    for hours, offline in [(8, False), (3, True), (-1, True), (2, True)]:
        CPDEntry.objects.create(
            user=collector,
            source=CPDSource.ADJUSTMENT,
            hours=Decimal(hours),
            offline=offline,
            earned_on=on - datetime.timedelta(days=10),
            reason="测试",
            created_by=trainer,
        )
    progress = cpd.cycle_progress(collector, Programme(), on=on)
    assert (progress.hours, progress.offline_hours) == (Decimal(12), Decimal(4))
    assert progress.met
    CPDEntry.objects.create(
        user=collector,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(-1),
        offline=True,
        earned_on=on,
        reason="更正",
        created_by=trainer,
    )
    progress = cpd.cycle_progress(collector, Programme(), on=on)
    assert not progress.met
    assert (progress.missing, progress.missing_offline) == (Decimal(1), Decimal(1))
