"""The CPD hours ledger's rules: what credits hours, how staff correct them, what a cycle holds.

The ledger (:class:`courses.models.CPDEntry`) is append-only; these functions are the only
writers:

* :func:`credit_attendance` follows a session registration. It appends the *difference*
  between what the attendance is worth now (``registration.credited_hours``) and what the
  registration's entries already add up to, under the registration's row lock. Called twice
  for the same state it appends nothing the second time; a correction (attended → partly
  attended → no-show) appends a debit, so the registration's entries always sum to its worth.
  A partial attendance is worth at most the session's full credit (:func:`attendance_worth`).
  Publishing an event page re-runs it for the page's attendances (:func:`recredit_page`), so
  a session whose hours were corrected after people attended corrects their entries too.
* :func:`credit_course` credits a completed online course's stated length
  (``estimated_minutes / 60``), once per enrolment (a unique constraint backs it).
  :func:`backfill_courses` does it for completions recorded before the ledger existed
  (``manage.py backfill_cpd``; migration ``courses.0006`` did it once at deploy).
* :func:`adjust` is a trainer's manual credit or debit, with a reason and who made it.

The cycle (:func:`cycle_progress`): a programme requiring CPD hours for renewal counts the
hours *earned* (``earned_on``, a Beijing date) in the ``cpd_cycle_months`` months ending on the
day of renewal — for eligibility, today. With 12 months and a renewal on 2026-12-07 the cycle
is 2025-12-08 to 2026-12-07, both days included. Offline hours are part of the total. Every
entry counts with its sign, so a correction in the cycle lowers its total.

``courses`` sits below certification, so the programme is read by its attributes only
(``cpd_hours_required``, ``cpd_offline_hours_required``, ``cpd_cycle_months``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail import hooks

from content.models import ATTENDANCE_STATES, Registration

from .models import CPDEntry, CPDSource, Enrolment

HOURS = Decimal("0.01")
ZERO = Decimal("0.00")
# A single adjustment larger than this is a typo (a year's training is rarely above 100 h).
MAX_ADJUSTMENT = Decimal("200")


class Programme(Protocol):
    """What the cycle needs of a certification programme (``exams.certificates``)."""

    pk: Any
    cpd_hours_required: Decimal
    cpd_offline_hours_required: Decimal
    cpd_cycle_months: int


@dataclass(frozen=True)
class CycleProgress:
    """A person's CPD hours in one programme's cycle, against what renewal requires."""

    hours: Decimal
    offline_hours: Decimal
    required: Decimal
    required_offline: Decimal
    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def met(self) -> bool:
        return self.hours >= self.required and self.offline_hours >= self.required_offline

    @property
    def missing(self) -> Decimal:
        return max(self.required - self.hours, ZERO)

    @property
    def missing_offline(self) -> Decimal:
        return max(self.required_offline - self.offline_hours, ZERO)


# Certification (above courses) registers fn(user) -> programmes requiring CPD hours that
# ``user`` holds a certificate of or is assigned: "My learning" shows their cycle.
CPD_PROGRAMMES_HOOK = "cpd_programmes"


# --- Crediting ----------------------------------------------------------------------------------


def credit_attendance(registration: Registration, change: Any = None) -> CPDEntry | None:
    """Bring the registration's ledger entries up (or down) to what its attendance is worth.

    Appends one entry with the difference, or none when they already agree: so a repeated
    call (a signal delivered twice, a retry) credits nothing more. The registration row is
    locked for the read and the write, so two concurrent calls cannot both see the old sum.
    ``change`` (the ``RegistrationChange`` that caused it) gives the entry its actor and reason.
    """
    with transaction.atomic():
        locked = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("session")
            .get(pk=registration.pk)
        )
        worth = attendance_worth(locked)
        booked = CPDEntry.objects.filter(registration=locked).aggregate(total=Sum("hours"))
        difference = worth - (booked["total"] or ZERO)
        if not difference:
            return None
        session = locked.session
        return CPDEntry.objects.create(
            user_id=locked.user_id,
            source=CPDSource.SESSION,
            hours=difference,
            offline=session.offline,
            earned_on=timezone.localdate(session.start),
            registration=locked,
            reason=getattr(change, "reason", "") or "",
            created_by_id=getattr(change, "actor_id", None),
        )


def attendance_worth(registration: Registration) -> Decimal:
    """The hours a registration's attendance credits: ``registration.credited_hours`` (which
    never credits a partial attendance more than the whole session, should a trainer lower the
    session's hours afterwards), to the cent."""
    return registration.credited_hours.quantize(HOURS, rounding=ROUND_HALF_UP)


def recredit_page(page: Any) -> int:
    """Bring the ledger of every attendance at ``page``'s sessions up to date; the number of
    correcting entries appended.

    Runs when an event page is published: a trainer who corrects a session's ``cpd_hours`` or
    its start and end after people attended changes what their attendance is worth, and
    :func:`credit_attendance` appends the difference (nothing when it agrees, so publishing
    again appends nothing).
    """
    registrations = Registration.objects.filter(
        session__page_id=page.pk, state__in=ATTENDANCE_STATES
    ).order_by("pk")
    return sum(credit_attendance(registration) is not None for registration in registrations)


def credit_course(enrolment: Enrolment) -> CPDEntry | None:
    """Credit a completed course's stated hours, once per enrolment.

    None when the course is not completed, states no length, or was credited already (the
    completion must not fail because of the ledger: a repeat is caught in a savepoint).
    """
    if enrolment.completed_at is None:
        return None
    minutes = enrolment.course.estimated_minutes or 0
    hours = (Decimal(minutes) / 60).quantize(HOURS, rounding=ROUND_HALF_UP)
    if not hours or CPDEntry.objects.filter(enrolment=enrolment).exists():
        return None
    try:
        with transaction.atomic():
            return CPDEntry.objects.create(
                user_id=enrolment.user_id,
                source=CPDSource.COURSE,
                hours=hours,
                offline=False,
                earned_on=timezone.localdate(enrolment.completed_at),
                enrolment=enrolment,
            )
    except IntegrityError:  # a concurrent completion credited it first
        return None


def backfill_courses(batch_size: int = 500) -> int:
    """Credit every completed enrolment that has no ledger entry yet; the number credited.

    For completions recorded before the ledger existed (or while crediting failed): without
    their hours the rating's CPD points and renewal would ignore training people did.
    Idempotent: a credited enrolment is skipped, and :func:`credit_course` credits once.
    """
    pending = (
        Enrolment.objects.filter(completed_at__isnull=False, course__estimated_minutes__gt=0)
        .exclude(cpd_entries__isnull=False)
        .select_related("course")
        .order_by("pk")
    )
    credited = after = 0
    while batch := list(pending.filter(pk__gt=after)[:batch_size]):
        credited += sum(credit_course(enrolment) is not None for enrolment in batch)
        after = batch[-1].pk
    return credited


def adjust(
    user,
    hours: Decimal,
    *,
    offline: bool,
    earned_on: datetime.date,
    reason: str,
    actor,
) -> CPDEntry:
    """A trainer's manual credit (or debit, ``hours`` < 0) with its reason.

    Refused (``ValidationError``) without a reason or an actor, for zero hours, more than
    ``MAX_ADJUSTMENT`` either way, a date in the future, or a debit that would take the
    person's whole ledger below zero (or its offline part, for an offline debit): a debit
    corrects hours that were credited, it cannot create a debt. The person's row is locked so
    two debits cannot both pass the check.
    """
    reason = (reason or "").strip()
    hours = Decimal(hours).quantize(HOURS, rounding=ROUND_HALF_UP)
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why the hours are adjusted.")
    if not hours:
        errors["hours"] = _("An adjustment needs a number of hours other than zero.")
    elif abs(hours) > MAX_ADJUSTMENT:
        errors["hours"] = _("An adjustment cannot exceed %(max)s hours either way.") % {
            "max": MAX_ADJUSTMENT
        }
    if earned_on > timezone.localdate():
        errors["earned_on"] = _("Hours cannot count on a day in the future.")
    if actor is None:
        raise ValueError("An adjustment needs the staff member who makes it.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values("pk"))
        if hours < 0:
            balance, offline_balance = balances(user)
            if balance + hours < 0 or (offline and offline_balance + hours < 0):
                raise ValidationError(
                    {
                        "hours": _(
                            "This debit would leave %(hours)s hours (offline %(offline)s): "
                            "a debit can only take back hours that were credited."
                        )
                        % {"hours": balance + hours, "offline": offline_balance + hours}
                    }
                )
        return CPDEntry.objects.create(
            user=user,
            source=CPDSource.ADJUSTMENT,
            hours=hours,
            offline=offline,
            earned_on=earned_on,
            reason=reason,
            created_by=actor,
        )


# --- Reading ------------------------------------------------------------------------------------


def balances(user) -> tuple[Decimal, Decimal]:
    """The person's whole ledger: total hours and offline hours (one query)."""
    totals = CPDEntry.objects.filter(user=user).aggregate(
        total=Sum("hours"), offline_total=Sum("hours", filter=Q(offline=True))
    )
    return totals["total"] or ZERO, totals["offline_total"] or ZERO


def cycle_bounds(months: int, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day (both included) of the ``months`` months ending on ``on``."""
    return on - relativedelta(months=months) + datetime.timedelta(days=1), on


def cycle_progress(user, programme: Programme, on: datetime.date | None = None) -> CycleProgress:
    """``user``'s hours in ``programme``'s cycle ending on ``on`` (Beijing today by default)."""
    return cycle_progress_many(user, [programme], on)[programme.pk]


def cycle_progress_many(
    user, programmes: Sequence[Programme], on: datetime.date | None = None, entries=None
) -> dict[Any, CycleProgress]:
    """:func:`cycle_progress` for several programmes, keyed by programme pk, in one query (none
    when ``entries``, the person's ledger already read, is given)."""
    on = on or timezone.localdate()
    if not programmes:
        return {}
    bounds = {p.pk: cycle_bounds(p.cpd_cycle_months, on) for p in programmes}
    earliest = min(start for start, _end in bounds.values())
    if entries is None:
        rows = list(
            CPDEntry.objects.filter(
                user=user, earned_on__gte=earliest, earned_on__lte=on
            ).values_list("earned_on", "hours", "offline")
        )
    else:
        rows = [(e.earned_on, e.hours, e.offline) for e in entries if earliest <= e.earned_on <= on]
    result = {}
    for programme in programmes:
        start, end = bounds[programme.pk]
        inside = [(hours, offline) for day, hours, offline in rows if start <= day <= end]
        result[programme.pk] = CycleProgress(
            hours=sum((hours for hours, _offline in inside), ZERO),
            offline_hours=sum((hours for hours, offline in inside if offline), ZERO),
            required=Decimal(programme.cpd_hours_required or 0),
            required_offline=Decimal(programme.cpd_offline_hours_required or 0),
            starts_on=start,
            ends_on=end,
        )
    return result


def programmes_for(user) -> list[Programme]:
    """The programmes whose CPD cycle concerns ``user``, as the hooks answer (none without)."""
    found: dict[Any, Programme] = {}
    for provide in hooks.get_hooks(CPD_PROGRAMMES_HOOK):
        for programme in provide(user):
            found.setdefault(programme.pk, programme)
    return list(found.values())


def ledger(user) -> Iterable[CPDEntry]:
    """The person's entries, newest first, with what each came from (one query)."""
    return (
        CPDEntry.objects.filter(user=user)
        .select_related("registration__session__page", "enrolment__course")
        .order_by("-earned_on", "-created_at", "-pk")
    )
