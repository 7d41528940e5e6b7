"""Attendees' registration views: register, cancel, and a session's calendar file.

Thin: parse, authorise, call :mod:`content.attendance.registration`, and send the person back
to the event page with a message saying what happened. Registering and cancelling are POSTs
(CSRF-protected); anything a person may not do answers 404 (another person's registration) or
a message (a closed session), never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from lms.accounts.request_types import AuthenticatedHttpRequest

from ..models import EventSession, Registration, RegistrationState
from ..models.events import session_calendar
from . import registration as service

MESSAGES = {
    RegistrationState.BOOKED: gettext_lazy(
        "Your place is booked. A confirmation email is on its way."
    ),
    RegistrationState.WAITLISTED: gettext_lazy(
        "The session is full: you are on the waitlist and get the next free place."
    ),
    RegistrationState.REQUESTED: gettext_lazy(
        "Your request is waiting for your firm manager's approval."
    ),
}


class ReasonForm(forms.Form):
    """The optional free-text reason of a cancellation or a refusal, checked as Django's forms
    check text: at most 500 characters, and no NUL (which PostgreSQL cannot store)."""

    reason = forms.CharField(max_length=500, required=False, strip=True)


def posted_reason(request: HttpRequest) -> str | None:
    """The posted reason, or None after telling the person what is wrong with it (a message),
    so the caller changes nothing."""
    form = ReasonForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["reason"]
    for error in form.errors.get("reason", []):
        messages.error(request, _("Reason: %(error)s") % {"error": error})
    return None


def _live_session(pk: int) -> EventSession:
    session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk)
    if not session.page.live:
        raise Http404("No such session.")
    return session


def _back(request: HttpRequest, session: EventSession) -> HttpResponseRedirect:
    """To ``next`` when it is one of ours (the firm pages post here too), else the event page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = f"{session.page.get_url(request) or '/'}#session-{session.pk}"
    return HttpResponseRedirect(target)


@login_required
@require_POST
def register(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _live_session(pk)
    try:
        registration = service.register(session, request.user, actor=request.user)
    except service.RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(MESSAGES[RegistrationState(registration.state)]))
    return _back(request, session)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    registration = get_object_or_404(Registration.objects.select_related("session__page"), pk=pk)
    # Someone else's registration does not exist for them (no hint that the id is in use).
    if not service.can_cancel(registration, request.user):
        raise Http404("No such registration.")
    reason = posted_reason(request)
    if reason is None:
        return _back(request, registration.session)
    try:
        service.cancel(registration, actor=request.user, reason=reason)
    except service.RegistrationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The registration is cancelled."))
    return _back(request, registration.session)


@require_safe
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One session as an iCalendar file (public, like the event page it belongs to)."""
    session = _live_session(pk)
    url = request.build_absolute_uri(session.page.get_url(request))
    response = HttpResponse(
        session_calendar(session, url).to_ical(), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{session.page.slug}-{session.pk}.ics"
    )
    return response
