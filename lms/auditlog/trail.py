"""What the admin's trail pages read: which events a trail holds, the filters, how rows show.

A trail is the whole log or one scope of it: a person (events about them, through the
:class:`~lms.auditlog.models.EventPerson` index, about their account, or done by them), a firm
(the :class:`~lms.auditlog.models.EventFirm` index) or a certificate (events whose subject it
is). No app is imported (the audit log sits below them all): a firm or a certificate is known by
its id, and its label comes from the events themselves.

Lists never show personal data in full: a person is shown masked (``张*``, ``z***@example.com``),
from the event's own personal part, so a page costs the same queries however many rows it has.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lms.lib.masking import mask_email, mask_name, mask_phone

from . import events
from .models import ActorKind, AuditEvent, Checkpoint, EventFirm, EventPerson, VerificationRun

PER_PAGE = 50
CERTIFICATE_TYPE = "certificates.certificate"


def user_type() -> str:
    """The user model's label as events store a subject's type (``accounts.user``)."""
    return get_user_model()._meta.label_lower


@dataclass(frozen=True)
class Scope:
    """A trail's scope: ``kind`` is "all", "person", "firm" or "certificate"; ``pk`` its id."""

    kind: str = "all"
    pk: int = 0

    def events(self) -> QuerySet[AuditEvent]:
        queryset = AuditEvent.objects.all()
        if self.kind == "person":
            return queryset.filter(
                Q(seq__in=EventPerson.objects.filter(person_id=self.pk).values("event_id"))
                | Q(subject_type=user_type(), subject_id=str(self.pk))
                | Q(actor_kind=ActorKind.USER, actor_id=str(self.pk))
            )
        if self.kind == "firm":
            return queryset.filter(
                seq__in=EventFirm.objects.filter(firm_id=self.pk).values("event_id")
            )
        if self.kind == "certificate":
            return queryset.filter(subject_type=CERTIFICATE_TYPE, subject_id=str(self.pk))
        return queryset


# --- Filters -----------------------------------------------------------------------------------


# The days a date filter may name (the export's range, lms.auditlog.export).
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(9999, 12, 30)


class DateInput(forms.DateInput):
    input_type = "date"


class TrailFilterForm(forms.Form):
    """The trail's filters (all optional): event, dates in Beijing time (inclusive), actor
    kind, and text in the subject's label (a certificate number, a finding reference)."""

    event_type = forms.ChoiceField(label=pgettext_lazy("audit log", "Event"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    actor_kind = forms.ChoiceField(
        label=_("Done by"),
        required=False,
        choices=[("", _("Anyone")), *ActorKind.choices],
    )
    q = forms.CharField(label=_("Subject contains"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(
            ((key, str(name)) for key, name in events.EVENT_TYPES.items()), key=_second
        )
        field = self.fields["event_type"]
        assert isinstance(field, forms.ChoiceField)  # the declared field, copied per form
        field.choices = [("", pgettext("audit log", "All events")), *choices]

    def _day_in_range(self, name: str) -> dt.date | None:
        """A far-off day (year 1, 9999-12-31) has no valid Beijing bounds in UTC: the filter is
        refused with a message (and so ignored) rather than crashing the query."""
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                gettext("Choose a date from %(first)s to %(last)s; this filter was ignored.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
        return day

    def clean_date_from(self) -> dt.date | None:
        return self._day_in_range("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._day_in_range("date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext("The end date is before the start date."))
        return cleaned

    def apply(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """``queryset`` narrowed by every filter that is valid (an invalid one is ignored and
        shown with its error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("event_type"):
            queryset = queryset.filter(event_type=data["event_type"])
        if data.get("date_from"):
            queryset = queryset.filter(occurred_at__gte=_start_of(data["date_from"]))
        if data.get("date_to") and "date_to" not in self.errors:
            queryset = queryset.filter(
                occurred_at__lt=_start_of(data["date_to"] + dt.timedelta(days=1))
            )
        if data.get("actor_kind"):
            queryset = queryset.filter(actor_kind=data["actor_kind"])
        if data.get("q", "").strip():
            queryset = queryset.filter(subject_label__icontains=data["q"].strip())
        return queryset

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


def _second(pair: tuple[str, str]) -> str:
    return pair[1]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- Showing events without their personal data -------------------------------------------------

_NAME_AND_EMAIL = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>@\s]+@[^<>\s]+)>$")
_PHONE = re.compile(r"^\+?\d[\d -]{6,}$")


def mask_value(value: Any) -> Any:
    """A personal value as lists show it: names, emails and phone numbers masked, whatever
    else (an address, a user agent) replaced by stars of no telling length."""
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items() if key != "salt"}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if not isinstance(value, str) or not value:
        return value
    pair = _NAME_AND_EMAIL.match(value)
    if pair:
        name = mask_name(pair["name"])
        email = mask_email(pair["email"])
        return f"{name} <{email}>" if name else email
    if "@" in value and " " not in value:
        return mask_email(value)
    if _PHONE.match(value):
        return mask_phone(value.replace(" ", "").replace("-", ""))
    if re.fullmatch(r"[\d.:a-fA-F]+", value):  # an IP address
        return "***"
    return mask_name(value) if len(value) <= 40 else "***"


def actor_display(event: AuditEvent) -> str:
    """Who acted, masked: a person's masked name, a token's label, or the task's name."""
    if event.actor_kind == ActorKind.USER:
        label = (event.personal or {}).get("actor")
        return mask_value(label) if label else f"#{event.actor_id}"
    return event.actor_label or event.actor_id


def subject_display(event: AuditEvent) -> str:
    """What the event is about: its non-personal label, or a person's masked name."""
    if event.subject_label:
        return event.subject_label
    person = (event.personal or {}).get("subject")
    if person:
        return mask_value(person)
    return f"{event.subject_type} #{event.subject_id}" if event.subject_type else ""


def firm_codes(event: AuditEvent) -> list[dict]:
    return [
        {"id": firm["id"], "code": firm.get("code") or f"#{firm['id']}"} for firm in event.firms
    ]


def row(event: AuditEvent) -> dict:
    return {
        "event": event,
        "label": events.label(event.event_type),
        "actor": actor_display(event),
        "actor_kind": ActorKind(event.actor_kind).label
        if event.actor_kind in ActorKind.values
        else event.actor_kind,
        "subject": subject_display(event),
        "firms": firm_codes(event),
        "is_certificate": event.subject_type == CERTIFICATE_TYPE,
    }


def scope_title(scope: Scope, page_events: list[AuditEvent]) -> str:
    """The trail's heading. A firm's and a certificate's labels come from their events (no app
    is imported here); a person's from their account, masked (one query)."""
    if scope.kind == "person":
        user = get_user_model().objects.filter(pk=scope.pk).first()
        name = (
            mask_name(getattr(user, "legal_name", "")) or mask_email(getattr(user, "email", ""))
            if user
            else ""
        )
        return gettext("Audit trail of %(person)s") % {"person": name or f"#{scope.pk}"}
    if scope.kind == "firm":
        code = next(
            (
                firm["code"]
                for event in page_events
                for firm in event.firms
                if firm["id"] == scope.pk and firm.get("code")
            ),
            f"#{scope.pk}",
        )
        return gettext("Audit trail of firm %(firm)s") % {"firm": code}
    if scope.kind == "certificate":
        label = next((e.subject_label for e in page_events if e.subject_label), f"#{scope.pk}")
        return gettext("Audit trail of certificate %(certificate)s") % {"certificate": label}
    return gettext("Audit trail")


# --- Verification status -----------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What every trail page shows at the top: the latest full verification and checkpoint."""

    run: VerificationRun | None
    checkpoint: Checkpoint | None
    head_seq: int

    @property
    def unsigned(self) -> int:
        """Events written after the latest checkpoint (not yet vouched for by a signature)."""
        return self.head_seq - (self.checkpoint.seq if self.checkpoint else 0)


def status() -> Status:
    """Three queries, whatever the size of the log."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return Status(
        run=VerificationRun.objects.order_by("-finished_at", "-id").first(),
        checkpoint=Checkpoint.objects.order_by("-created_at", "-id").first(),
        head_seq=head or 0,
    )
