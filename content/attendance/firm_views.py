"""Firm managers' event pages (/firm/events/): their staff's registrations, bulk booking, and
answering requests that need their approval.

Scope is the manager's own firm only (``manager_required`` gives ``request.firm``; no firm is
ever read from the URL or the form). A session outside the published events, or a registration
of another firm, is a 404, so nothing about other firms leaks.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from lms.accounts.models import Membership, MembershipRole, User
from lms.accounts.onboarding.access import manager_required
from lms.accounts.request_types import ManagerHttpRequest
from lms.bad_input import parse_id

from ..models import PLACE_STATES, EventSession, Registration, RegistrationState
from . import registration as service
from .views import posted_reason

S = RegistrationState


def _upcoming_sessions():
    return (
        EventSession.objects.filter(page__live=True, end__gt=timezone.now(), closed_at=None)
        .select_related("page")
        .annotate(
            taken=Count("registrations", filter=Q(registrations__state__in=PLACE_STATES)),
            waiting=Count("registrations", filter=Q(registrations__state=S.WAITLISTED)),
        )
        .order_by("start", "pk")
    )


def _staff(firm) -> list[User]:
    members = Membership.objects.active().filter(firm=firm, role=MembershipRole.COLLECTOR)
    return list(User.objects.filter(pk__in=members.values("user_id")).order_by("legal_name", "pk"))


@manager_required
@require_safe
def index(request: ManagerHttpRequest) -> HttpResponse:
    firm = request.firm
    sessions = list(
        _upcoming_sessions().annotate(
            staff_count=Count(
                "registrations",
                filter=Q(registrations__firm=firm) & ~Q(registrations__state=S.CANCELLED),
            )
        )
    )
    for session in sessions:
        # Open to a newcomer: none while anyone waits (a freed place is theirs first).
        session.left = 0 if session.waiting else max(session.capacity - session.taken, 0)
    pending = (
        Registration.objects.filter(firm=firm, state=S.REQUESTED, session__closed_at=None)
        .select_related("user", "session__page")
        .order_by("state_changed_at", "pk")
    )
    return render(
        request,
        "content/firm_events/index.html",
        {"firm": firm, "sessions": sessions, "pending": pending, "section": "events"},
    )


def _session_for_manager(pk: int) -> EventSession:
    session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk)
    if not session.page.live:
        raise Http404("No such session.")
    return session


@manager_required
def session_detail(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    """The firm's registrations for one session, and the bulk booking form (POST)."""
    firm = request.firm
    session = _session_for_manager(pk)
    staff = _staff(firm)
    if request.method == "POST":
        # parse_id, not str.isdigit(): "²" is a digit to Python but not a number to int().
        ids = [parse_id(raw) for raw in request.POST.getlist("user")]
        if not ids or None in ids:
            messages.error(request, _("Choose at least one person from the list."))
        else:
            wanted = set(ids)
            users = [person for person in staff if person.pk in wanted]
            # Ids of people outside the firm are refused without their names (they may not be
            # shown to this manager), and not silently dropped.
            outsiders = len(wanted) - len(users)
            if outsiders:
                messages.error(
                    request,
                    ngettext(
                        "%(count)d person is not an active collector of your firm.",
                        "%(count)d people are not active collectors of your firm.",
                        outsiders,
                    )
                    % {"count": outsiders},
                )
            for outcome in service.bulk_register(session, users, manager=request.user):
                name = outcome.user.legal_name
                if outcome.registration is None:
                    messages.error(
                        request,
                        _("%(name)s: %(problem)s") % {"name": name, "problem": outcome.error},
                    )
                else:
                    state = outcome.registration.get_state_display()
                    messages.success(
                        request, _("%(name)s: %(state)s") % {"name": name, "state": state}
                    )
        return HttpResponseRedirect(reverse("firm_events:session", args=[session.pk]))
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})

    registrations = list(
        Registration.objects.filter(session=session, firm=firm)
        .select_related("user")
        .order_by("user__legal_name", "pk")
    )
    active = {r.user_id for r in registrations if r.state != S.CANCELLED}
    return render(
        request,
        "content/firm_events/session.html",
        {
            "firm": firm,
            "section": "events",
            "session": session,
            "places_left": service.open_places(session),
            "refusal": service.refusal(session),
            "registrations": registrations,
            "available": [person for person in staff if person.pk not in active],
            "active_states": service.ACTIVE_STATES,
        },
    )


def _firm_registration(request: ManagerHttpRequest, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.select_related("session__page", "user"), pk=pk, firm=request.firm
    )


@manager_required
@require_POST
def approve(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    registration = _firm_registration(request, pk)
    try:
        registration = service.approve(registration, manager=request.user)
    except service.RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s: %(state)s")
            % {"name": registration.user.legal_name, "state": registration.get_state_display()},
        )
    return HttpResponseRedirect(reverse("firm_events:index"))


@manager_required
@require_POST
def decline(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    registration = _firm_registration(request, pk)
    reason = posted_reason(request)
    if reason is None:
        return HttpResponseRedirect(reverse("firm_events:index"))
    try:
        service.decline(registration, manager=request.user, reason=reason)
    except service.RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(name)s: request declined") % {"name": registration.user.legal_name}
        )
    return HttpResponseRedirect(reverse("firm_events:index"))
