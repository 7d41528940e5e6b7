"""The trainer's attendance screens in the Wagtail admin (签到考勤, /admin/attendance/sessions/).

* The listing: every session, upcoming first (then past ones, latest first), searchable by
  event, session or venue, filterable by time and check-in state.
* A session's page: its registrations with their state, check-in time and history, and the
  actions: open check-in, the check-in screen, mark attendance by hand (a reason; the hours
  for a partial attendance), close the session.
* The check-in screen (a phone or a projector, full screen): the QR code and the 6-digit
  code, the seconds until they rotate and how many have checked in, refreshed by
  ``static/js/checkin_screen.js`` from a JSON endpoint (no inline script).

Everything needs the custom ``content.manage_attendance`` permission (the Trainers group,
migration 0009; superusers), checked on every request through the session model's permission
policy. Sessions themselves are created and edited with their event page, never here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
import segno
from django import forms
from django.conf import settings
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.defaults import permission_denied
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from lms.lib.admin_actions import (
    HeaderActionsMixin,
    Notice,
    ObjectAction,
    ObjectActionView,
    ObjectActionViewSetMixin,
    display_date,
)

from ..models import EventSession, Registration, RegistrationState
from . import checkin, marking

NAME = "attendance_sessions"
MANAGE_PERMISSION = "content.manage_attendance"
S = RegistrationState


class AttendancePermissionPolicy(ModelPermissionPolicy):
    """``manage`` (and ``view``) for holders of ``content.manage_attendance``; the model's own
    add/change/delete stay as they are (these screens offer none of them)."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "manage":
            return user.has_perm(MANAGE_PERMISSION)
        if action == "view" and user.has_perm(MANAGE_PERMISSION):
            return True
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


def checkin_state(session: EventSession) -> str:
    if session.closed_at is not None:
        return str(_("Closed"))
    if session.checkin_opened_at is not None:
        return str(_("Check-in open"))
    return str(_("Not open"))


# --- Listing -----------------------------------------------------------------------------------


class SessionFilterSet(WagtailFilterSet):
    when = django_filters.ChoiceFilter(
        label=_("When"),
        choices=[("upcoming", _("Upcoming and running")), ("past", _("Ended"))],
        method="filter_when",
        empty_label=_("All"),
    )
    checkin = django_filters.ChoiceFilter(
        label=_("Check-in"),
        choices=[
            ("not_open", _("Not open")),
            ("open", _("Check-in open")),
            ("closed", _("Closed")),
        ],
        method="filter_checkin",
        empty_label=_("All"),
    )

    class Meta:
        model = EventSession
        fields: list[str] = []

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(end__gte=now)
        if value == "past":
            return queryset.filter(end__lt=now)
        return queryset

    def filter_checkin(self, queryset, name, value):
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        if value == "open":
            return queryset.filter(closed_at__isnull=True, checkin_opened_at__isnull=False)
        if value == "not_open":
            return queryset.filter(closed_at__isnull=True, checkin_opened_at__isnull=True)
        return queryset


class SessionIndexView(generic.IndexView):
    def get_base_queryset(self):
        now = timezone.now()
        return (
            EventSession.objects.select_related("page")
            .annotate(
                past=Case(When(end__lt=now, then=Value(1)), default=Value(0)),
                upcoming_start=Case(When(end__gte=now, then=F("start")), default=None),
                booked_count=Count(
                    "registrations",
                    filter=Q(registrations__state__in=[S.BOOKED, S.ATTENDED, S.PARTLY_ATTENDED]),
                    output_field=IntegerField(),
                ),
                attended_count=Count(
                    "registrations",
                    filter=Q(registrations__state__in=[S.ATTENDED, S.PARTLY_ATTENDED]),
                ),
            )
            # Upcoming and running sessions first, soonest first; then past ones, latest first.
            .order_by("past", "upcoming_start", "-start", "pk")
        )


def _event_title(session: EventSession) -> str:
    return session.page.title


def _when(session: EventSession) -> str:
    start = timezone.localtime(session.start)
    return f"{start:%Y-%m-%d %H:%M}–{timezone.localtime(session.end):%H:%M}"


def _counts(session: EventSession) -> str:
    # Annotated by SessionIndexView.get_base_queryset.
    return f"{session.attended_count} / {session.booked_count}"


# --- The session's page ------------------------------------------------------------------------


def can_open(user: Any, session: EventSession) -> bool:
    return session.closed_at is None and session.checkin_opened_at is None


def can_close(user: Any, session: EventSession) -> bool:
    return session.closed_at is None


def can_screen(user: Any, session: EventSession) -> bool:
    return session.closed_at is None and session.checkin_opened_at is not None


SESSION_ACTIONS = (
    ObjectAction(_("Open check-in"), f"{NAME}:open_checkin", "success", 5, can_open),
    ObjectAction(_("Check-in screen"), f"{NAME}:screen", "view", 6, can_screen),
    ObjectAction(_("Close the session"), f"{NAME}:close_session", "lock", 7, can_close),
)


class SessionAttendanceView(HeaderActionsMixin, generic.InspectView):
    """A session's registrations, their check-in and their history, with the actions."""

    template_name = "content/attendance/admin/session.html"
    page_title = _("Attendance")
    object_actions = SESSION_ACTIONS
    any_permission_required = ["manage"]

    def get_object(self, queryset=None):
        return get_object_or_404(EventSession.objects.select_related("page"), pk=self.pk)

    def get_fields(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        session = self.object
        registrations = list(
            Registration.objects.filter(session=session)
            .select_related("user", "firm")
            .prefetch_related("changes__actor")
            .order_by("user__legal_name", "pk")
        )
        for registration in registrations:
            registration.mark_url = reverse(f"{NAME}:mark", args=[registration.pk])
        counts = dict.fromkeys(S.values, 0)
        for registration in registrations:
            counts[registration.state] += 1
        context.update(
            session=session,
            registrations=registrations,
            counts=[(S(state).label, count) for state, count in counts.items() if count],
            checkin_state=checkin_state(session),
            when=_when(session),
            actions=[
                (action.label, action.url(session))
                for action in SESSION_ACTIONS
                if action.permitted(self.request.user, session)
            ],
        )
        return context


# --- Actions -----------------------------------------------------------------------------------


class SessionActionView(ObjectActionView):
    permission_required = "manage"
    deny_with_403 = True
    index_label = _("Attendance")

    def get_queryset(self):
        return EventSession.objects.select_related("page")

    def get_details(self):
        session = self.object
        return [
            (_("Event"), session.page.title),
            (_("Session"), str(session)),
            (_("When"), _when(session)),
            (_("Check-in"), checkin_state(session)),
        ]


class OpenCheckinView(SessionActionView):
    page_title = _("Open check-in")
    submit_label = _("Open check-in")
    question = _(
        "Attendees who are booked can then check themselves in with the QR code or the 6-digit "
        "code on the check-in screen."
    )
    success_message = _("Check-in is open. Show the check-in screen to the room.")
    refusals = (marking.AttendanceRefused,)

    def is_actionable(self):
        return can_open(self.request.user, self.object)

    def get_refusal(self):
        if self.object.closed_at is not None:
            return _("This session is closed.")
        return _("Check-in is already open.")

    def perform(self, session, form):
        return marking.open_checkin(session, actor=self.request.user)

    def get_success_url(self, result=None):
        return reverse(f"{NAME}:screen", args=[quote(self.object.pk)])


class CloseSessionView(SessionActionView):
    page_title = _("Close the session")
    submit_label = _("Close the session")
    submit_class = "button serious"
    refusals = (marking.AttendanceRefused,)

    def get_notices(self):
        pending = Registration.objects.filter(session=self.object)
        booked = pending.filter(state=S.BOOKED).count()
        waiting = pending.filter(state__in=[S.REQUESTED, S.WAITLISTED]).count()
        text = _(
            "Closing ends check-in. %(booked)d booked people who did not check in become "
            "no-shows and %(waiting)d waitlisted or unapproved registrations are cancelled. "
            "Certificates of attendance, if the event gives them, are issued. You can still "
            "correct attendance by hand afterwards."
        ) % {"booked": booked, "waiting": waiting}
        return [Notice(text, level="warning")]

    def is_actionable(self):
        return self.object.closed_at is None

    def get_refusal(self):
        return _("This session is already closed.")

    def perform(self, session, form):
        return marking.close_session(session, actor=self.request.user)

    def get_success_message(self, summary):
        return _(
            "The session is closed: %(attended)d attended, %(no_shows)d no-shows, "
            "%(cancelled)d cancelled."
        ) % {
            "attended": summary.attended,
            "no_shows": summary.no_shows,
            "cancelled": summary.cancelled,
        }


class MarkForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(state.value, state.label) for state in marking.MARKABLE],
        widget=forms.RadioSelect,
    )
    hours = forms.DecimalField(
        label=_("Hours attended"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Only for partly attended: the hours to credit."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the registration's history, e.g. “phone could not scan”."),
    )

    def __init__(self, *args, max_hours: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        # The service refuses more than the session's hours; the form says so before it.
        self.fields["hours"].widget.attrs["max"] = str(max_hours)
        self.fields["hours"].help_text = _(
            "Only for partly attended: the hours to credit (at most %(max)s)."
        ) % {"max": max_hours}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == S.PARTLY_ATTENDED and cleaned.get("hours") is None:
            self.add_error("hours", _("Give the hours attended."))
        return cleaned


class MarkAttendanceView(ObjectActionView):
    """Mark one registration by hand (attended, partly attended, no-show) with a reason."""

    model = Registration
    permission_required = "manage"
    deny_with_403 = True
    form_class = MarkForm
    page_title = _("Mark attendance")
    submit_label = _("Save")
    success_message = _("Attendance recorded.")
    refusals = (marking.AttendanceRefused,)

    def get_queryset(self):
        return Registration.objects.select_related("session__page", "user", "firm")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "max_hours": self.object.session.credit_hours}

    def get_return_url(self):
        return reverse(f"{NAME}:inspect", args=[quote(self.object.session_id)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{NAME}:index"), "label": _("Attendance")},
            {"url": self.get_return_url(), "label": str(self.object.session)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_details(self):
        registration = self.object
        return [
            (_("Attendee"), f"{registration.user} <{registration.user.email}>"),
            (_("Session"), f"{registration.session.page.title} · {registration.session}"),
            (_("State"), registration.get_state_display()),
            (_("Checked in at"), display_date(registration.checked_in_at) or "—"),
            (_("Hours for full attendance"), registration.session.credit_hours),
        ]

    def perform(self, registration, form):
        data = form.cleaned_data
        return marking.mark_attendance(
            registration,
            data["state"],
            actor=self.request.user,
            reason=data["reason"],
            hours=data["hours"] if data["state"] == S.PARTLY_ATTENDED else None,
        )


# --- The check-in screen -----------------------------------------------------------------------


def _may_manage(request: HttpRequest) -> bool:
    return request.user.has_perm(MANAGE_PERMISSION)


def screen_state(session: EventSession) -> dict[str, Any]:
    """What the screen shows now (also its JSON): the code, its QR, the time left, the count."""
    now = timezone.now()
    open_now = session.closed_at is None and session.checkin_opened_at is not None
    attended = Registration.objects.filter(
        session=session, state__in=[S.ATTENDED, S.PARTLY_ATTENDED]
    ).count()
    booked = Registration.objects.filter(
        session=session, state__in=[S.BOOKED, S.ATTENDED, S.PARTLY_ATTENDED]
    ).count()
    state: dict[str, Any] = {
        "open": open_now,
        "checked_in": attended,
        "expected": booked,
        "status": checkin_state(session),
    }
    if open_now:
        code = checkin.current_code(session, now)
        url = checkin.scan_url(code.token)
        state.update(
            window=code.window,
            digits=code.digits,
            url=url,
            qr=segno.make(url, error="m").svg_data_uri(scale=8, border=2),
            seconds_left=code.seconds_left(now),
            rotation_seconds=checkin.ROTATION_SECONDS,
        )
    return state


@never_cache
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The full-screen check-in page (no admin chrome, so it fills a projector or a phone)."""
    if not _may_manage(request):
        # A 403 where the link was followed, not Wagtail's redirect to the dashboard.
        return permission_denied(request, PermissionDenied())
    session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk)
    return TemplateResponse(
        request,
        "content/attendance/admin/screen.html",
        {
            "session": session,
            "state": screen_state(session),
            "state_url": reverse(f"{NAME}:screen_state", args=[session.pk]),
            "back_url": reverse(f"{NAME}:inspect", args=[session.pk]),
            "open_url": reverse(f"{NAME}:open_checkin", args=[session.pk]),
            "code_url": settings.SITE_BASE_URL.rstrip("/")
            + reverse("event_checkin:code", args=[session.pk]),
        },
    )


@never_cache
def screen_state_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The screen's JSON, fetched at each rotation and every few seconds for the count."""
    if not _may_manage(request):
        return JsonResponse({"error": "permission denied"}, status=403)
    session = get_object_or_404(EventSession, pk=pk)
    return JsonResponse(screen_state(session))


# --- The view set ------------------------------------------------------------------------------


class AttendanceViewSet(ObjectActionViewSetMixin, ModelViewSet):
    model = EventSession
    name = NAME
    url_prefix = "attendance/sessions"
    icon = "tasks"
    menu_label = _("Attendance")
    menu_order = 265
    add_to_admin_menu = True
    index_view_class = SessionIndexView
    inspect_view_class = SessionAttendanceView
    inspect_view_enabled = True
    copy_view_enabled = False
    # Sessions are Orderable within their page; there is nothing to reorder in this list.
    sort_order_field = None
    filterset_class = SessionFilterSet
    search_fields = ["page__title", "title", "venue"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        # The row's link to the session's page (a Column instance first gets none from Wagtail).
        TitleColumn("page", label=_("Event"), accessor=_event_title, url_name=f"{NAME}:inspect"),
        "__str__",
        Column("start", label=_("When"), accessor=_when, sort_key="start"),
        Column("checkin", label=_("Check-in"), accessor=checkin_state),
        Column("counts", label=_("Checked in / booked"), accessor=_counts),
    ]
    action_views = [
        ("open_checkin", OpenCheckinView),
        ("close_session", CloseSessionView),
        ("mark", MarkAttendanceView, "registrations/mark"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "copy", "reorder"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<id:pk>/", self.inspect_view, name="inspect"),
            path("<id:pk>/screen/", screen, name="screen"),
            path("<id:pk>/screen/state/", screen_state_json, name="screen_state"),
            *self.action_urlpatterns(),
        ]

    @cached_property
    def url_finder_class(self) -> type[ModelAdminURLFinder]:
        return type(
            "AttendanceURLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )
