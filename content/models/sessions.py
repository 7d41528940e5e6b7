"""Event sessions, registrations and their history: attendance that counts.

An event page (a salon or a summit) has one or more sessions, each with its own time, place,
capacity and registration window. A collector registers for a session; the registration's
``state`` is the current one (what capacity counts and lists filter on), and every change is
also written as a :class:`RegistrationChange` row, never overwritten, so who booked, waited,
was promoted, checked in or was marked absent — and by whom and why — can be shown later.

Only :meth:`Registration.change_state` moves a registration: it checks the transition, writes
the history row and, when attendance is involved, sends ``content.signals.attendance_changed``
in the same transaction so the CPD ledger (in ``courses``) follows exactly once.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable

from ..signals import attendance_changed

HOURS = Decimal("0.01")
# The longest a single session may last: anything longer is a typo or several sessions.
MAX_SESSION_LENGTH = datetime.timedelta(hours=24)


def _hours_text(hours: Decimal) -> str:
    """``3`` for 3.00, ``1.5`` for 1.50: hours as a person writes them."""
    return f"{hours.normalize():f}"


class SessionMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


class EventSession(Orderable):
    """One sitting of an event people register for: a salon's afternoon, a summit's day.

    Edited with its event page (so a new session goes live when a reviewer approves the page);
    a session with registrations cannot be removed from the page (``PROTECT``), only closed.
    Hours credited for full attendance are ``cpd_hours`` or else the session's length.
    """

    page = ParentalKey("content.EventPage", on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(
        _("title"), max_length=120, help_text=_("E.g. 上午场 or Day 1."), blank=True
    )
    mode = models.CharField(
        _("delivery"),
        max_length=16,
        choices=SessionMode.choices,
        default=SessionMode.IN_PERSON,
        help_text=_("In-person hours count as offline training."),
    )
    start = models.DateTimeField(_("starts"), help_text=_("Beijing time."))
    end = models.DateTimeField(_("ends"), help_text=_("Beijing time."))
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    registration_opens = models.DateTimeField(
        _("registration opens"),
        null=True,
        blank=True,
        help_text=_("Leave empty to open registration as soon as the page is live."),
    )
    registration_closes = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Leave empty to close registration when the session starts."),
    )
    requires_approval = models.BooleanField(
        _("firm manager approves"),
        default=False,
        help_text=_("A collector's registration waits for their firm manager's approval."),
    )
    cpd_hours = models.DecimalField(
        _("CPD hours"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.25"))],
        help_text=_("Hours credited for full attendance. Leave empty to credit its length."),
    )
    checkin_opened_at = models.DateTimeField(_("check-in opened at"), null=True, blank=True)
    checkin_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("check-in opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminders_sent_at = models.DateTimeField(_("reminders sent at"), null=True, blank=True)

    panels = [
        FieldRowPanel(["title", "mode"]),
        FieldRowPanel(["start", "end"]),
        FieldPanel("venue"),
        FieldPanel("online_url"),
        FieldRowPanel(["capacity", "cpd_hours"]),
        FieldRowPanel(["registration_opens", "registration_closes"]),
        FieldPanel("requires_approval"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        # Trainers: open check-in, show the check-in screen, mark attendance, close sessions.
        permissions = [("manage_attendance", "Can manage attendance (check-in, marking, closing)")]
        indexes = [models.Index(fields=["start"], name="eventsession_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="eventsession_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title or timezone.localtime(self.start).strftime("%Y-%m-%d %H:%M")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("The session must end after it starts.")
        elif self.start and self.end and self.end - self.start > MAX_SESSION_LENGTH:
            # A typo in the year would credit thousands of hours (beyond what the ledger
            # stores); a multi-day event is several sessions, each credited on its own.
            errors["end"] = _(
                "A session lasts at most 24 hours. For an event over several days, add one "
                "session per day."
            )
        elif self.start and self.end and self.cpd_hours is not None:
            if self.cpd_hours > self.length_hours:
                errors["cpd_hours"] = _(
                    "The CPD hours cannot exceed the session's length (%(hours)s hours)."
                ) % {"hours": _hours_text(self.length_hours)}
        if self.mode == SessionMode.IN_PERSON and not self.venue:
            errors["venue"] = _("An in-person session needs a venue.")
        if self.mode == SessionMode.ONLINE and not self.online_url:
            errors["online_url"] = _("An online session needs its link.")
        opens, closes = self.registration_opens, self.registration_closes
        if opens and closes and closes <= opens:
            errors["registration_closes"] = _("Registration must close after it opens.")
        if closes and self.end and closes > self.end:
            errors["registration_closes"] = _("Registration cannot close after the session ends.")
        if errors:
            raise ValidationError(errors)

    @property
    def offline(self) -> bool:
        """Whether its hours count as offline (in-person) training."""
        return self.mode == SessionMode.IN_PERSON

    @property
    def length_hours(self) -> Decimal:
        seconds = Decimal((self.end - self.start).total_seconds())
        return (seconds / 3600).quantize(HOURS, rounding=ROUND_HALF_UP)

    @property
    def credit_hours(self) -> Decimal:
        """Hours credited for full attendance."""
        return self.cpd_hours if self.cpd_hours is not None else self.length_hours

    def registration_window(self) -> tuple[datetime.datetime | None, datetime.datetime]:
        """When registration opens (None: as soon as the page is live) and closes."""
        return self.registration_opens, self.registration_closes or self.start

    def registration_is_open(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        opens, closes = self.registration_window()
        return self.closed_at is None and (opens is None or opens <= now) and now < closes

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class RegistrationState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    BOOKED = "booked", _("Booked")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    PARTLY_ATTENDED = "partly_attended", _("Partly attended")
    NO_SHOW = "no_show", _("No-show")


S = RegistrationState
# States that hold a place (capacity counts them).
PLACE_STATES = (S.BOOKED.value, S.ATTENDED.value, S.PARTLY_ATTENDED.value)
# States that credit hours.
ATTENDANCE_STATES = (S.ATTENDED.value, S.PARTLY_ATTENDED.value)
# What may follow what. Attendance outcomes can be corrected by hand (a scan that failed, a
# person who left early), which the ledger follows with a correcting entry.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.BOOKED, S.WAITLISTED, S.CANCELLED}),
    S.BOOKED: frozenset({S.CANCELLED, S.ATTENDED, S.PARTLY_ATTENDED, S.NO_SHOW}),
    S.WAITLISTED: frozenset({S.BOOKED, S.CANCELLED, S.ATTENDED, S.PARTLY_ATTENDED, S.NO_SHOW}),
    S.CANCELLED: frozenset({S.REQUESTED, S.BOOKED, S.WAITLISTED, S.ATTENDED, S.PARTLY_ATTENDED}),
    S.ATTENDED: frozenset({S.PARTLY_ATTENDED, S.NO_SHOW}),
    S.PARTLY_ATTENDED: frozenset({S.ATTENDED, S.NO_SHOW}),
    S.NO_SHOW: frozenset({S.ATTENDED, S.PARTLY_ATTENDED}),
}


class ChangeVia(models.TextChoices):
    """How a registration changed: by whom, through which path."""

    SELF = "self", _("By the collector")
    MANAGER = "manager", _("By a firm manager")
    APPROVAL = "approval", _("Manager's approval")
    PROMOTION = "promotion", _("Promoted from the waitlist")
    QR = "qr", _("QR code check-in")
    CODE = "code", _("Check-in code")
    TRAINER = "trainer", _("Marked by the trainer")
    CLOSING = "closing", _("Session closed")


class RegistrationTransitionError(ValueError):
    """A registration was asked to move to a state that cannot follow its current one."""


class Registration(models.Model):
    """A person's place (or wait) for one session, and what became of it.

    ``state`` is the latest of its :class:`RegistrationChange` rows; ``firm`` is the firm they
    worked for when they registered (per-firm reports and manager approval read it).
    ``attended_hours`` is set for a partial attendance (the hours actually credited).
    """

    session = models.ForeignKey(
        EventSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendee"),
        on_delete=models.PROTECT,
        related_name="event_registrations",
    )
    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="event_registrations",
    )
    state = models.CharField(_("state"), max_length=20, choices=RegistrationState.choices)
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now)
    attended_hours = models.DecimalField(
        _("hours attended"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="registration_one_per_session_user"
            ),
        ]
        indexes = [
            models.Index(fields=["session", "state"], name="registration_session_state"),
            models.Index(fields=["user", "state"], name="registration_user_state"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.session}"

    @property
    def credited_hours(self) -> Decimal:
        """What this registration's attendance is worth now: the session's hours when
        attended, the hours recorded when partly attended, else nothing."""
        if self.state == S.ATTENDED:
            return self.session.credit_hours
        if self.state == S.PARTLY_ATTENDED:
            # Never more than the whole session, should its hours be lowered afterwards.
            return min(self.attended_hours or Decimal(0), self.session.credit_hours)
        return Decimal(0)

    def change_state(
        self,
        to: str,
        *,
        via: str,
        actor=None,
        reason: str = "",
        at: datetime.datetime | None = None,
    ) -> RegistrationChange:
        """Move to ``to``, record it, and tell the ledger when attendance is involved.

        The caller holds the row (``select_for_update``) inside a transaction; a registration
        being created passes its initial state here too (``state`` empty). Raises
        :class:`RegistrationTransitionError` for a move the table above forbids; setting a
        state it already has is allowed only for ``partly_attended`` (new hours).
        """
        at = at or timezone.now()
        previous = self.state or ""
        if previous and to not in TRANSITIONS[previous]:
            if not (to == previous == S.PARTLY_ATTENDED):
                raise RegistrationTransitionError(f"{previous} -> {to}")
        self.state = to
        self.state_changed_at = at
        if (
            to in ATTENDANCE_STATES
            and self.checked_in_at is None
            and via in (ChangeVia.QR, ChangeVia.CODE)
        ):
            self.checked_in_at = at
        if to != S.PARTLY_ATTENDED:
            self.attended_hours = None
        if self.pk is None:
            self.save()
        else:
            self.save(
                update_fields=["state", "state_changed_at", "attended_hours", "checked_in_at"]
            )
        change = RegistrationChange.objects.create(
            registration=self,
            from_state=previous,
            to_state=to,
            at=at,
            actor=actor,
            via=via,
            reason=reason,
            hours=self.attended_hours,
        )
        if previous in ATTENDANCE_STATES or to in ATTENDANCE_STATES:
            attendance_changed.send(sender=Registration, registration=self, change=change)
        return change


class RegistrationChange(models.Model):
    """One change of a registration's state: append-only history (never edited or deleted)."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        related_name="changes",
    )
    from_state = models.CharField(
        _("from"), max_length=20, choices=RegistrationState.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=RegistrationState.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    via = models.CharField(_("how"), max_length=16, choices=ChangeVia.choices)
    reason = models.TextField(_("reason"), blank=True)
    hours = models.DecimalField(
        _("hours attended"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("registration change")
        verbose_name_plural = _("registration changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Registration history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Registration history is append-only.")
