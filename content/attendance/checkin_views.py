"""Attendees check in on their phone: by opening the QR code's link, or by typing the 6-digit
code the trainer reads out. The rules are in :mod:`content.attendance.checkin`.

Signing in on the way: a phone that opens the QR link signed out is sent to sign in and comes
back to the same link. The token is verified when the phone first lands (so a link that was
already stale is refused at once), and that moment is kept in the Django session (which
Django's login keeps); on return the token is judged at that moment, provided the sign-in took
at most :data:`SIGN_IN_SECONDS`. A slow sign-in (or a sign-up with its email confirmation)
thus does not lose the scan, while the link itself stays useless to anyone who did not open
it while it was on the screen.
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lms.accounts.request_types import AuthenticatedHttpRequest
from lms.lib.ratelimit import hit

from ..models import EventSession, Registration, RegistrationState
from . import checkin

# A sign-in started from the QR link may take this long and still check in with it.
SIGN_IN_SECONDS = 15 * 60
SEEN_KEY = "event_checkin_seen"
# 6-digit code attempts per person and session (every POST counts). Valid codes at any moment:
# the current one and those in their grace period (5), so guessing stays hopeless.
CODE_RATE_SETTING = "CHECKIN_CODE_RATE"
DEFAULT_CODE_RATE = "10/10m"
CODE_ERRORS = (
    checkin.Refusal.BAD_TOKEN,
    checkin.Refusal.WRONG_CODE,
    checkin.Refusal.EXPIRED,
    checkin.Refusal.OTHER_SESSION,
)


def _result(
    request: HttpRequest,
    *,
    session: EventSession | None = None,
    result: checkin.CheckinResult | None = None,
    refusal: checkin.CheckinRefused | None = None,
) -> HttpResponse:
    status = 200
    if refusal is not None:
        status = 400 if refusal.reason in CODE_ERRORS else 409
    if result is not None:
        session = result.registration.session
    return render(
        request,
        "content/attendance/checkin_result.html",
        {"session": session, "result": result, "refusal": refusal},
        status=status,
    )


def _seen_at(request: HttpRequest, token: str, at: datetime.datetime) -> datetime.datetime | None:
    """When this browser first opened ``token`` signed out, if recent enough (consumed)."""
    seen = request.session.pop(SEEN_KEY, None)
    if not isinstance(seen, dict) or seen.get("token") != token:
        return None
    try:
        moment = datetime.datetime.fromtimestamp(float(seen["at"]), tz=datetime.UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not datetime.timedelta(0) <= at - moment <= datetime.timedelta(seconds=SIGN_IN_SECONDS):
        return None
    return moment


@never_cache
@require_GET
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code's target: checks the signed-in person in (GET, since a camera app opens the
    link; the signed, 2-minute token is what a forged request would lack)."""
    at = timezone.now()
    if not request.user.is_authenticated:
        try:
            checkin.verify_token(token, at)
        except checkin.CheckinRefused as refusal:
            return _result(request, refusal=refusal)
        request.session[SEEN_KEY] = {"token": token, "at": at.timestamp()}
        return redirect_to_login(request.get_full_path())
    try:
        result = checkin.check_in_with_token(
            token, request.user, at=at, seen_at=_seen_at(request, token, at)
        )
    except checkin.CheckinRefused as refusal:
        return _result(request, refusal=refusal)
    return _result(request, result=result)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=20,
        help_text=gettext_lazy("The 6 digits shown on the screen or read out by the trainer."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "class": "checkin-code-input",
            }
        ),
    )


def _limit_key(session: EventSession):
    def key(group: str, request: HttpRequest) -> str:
        return f"{request.user.pk}:{session.pk}"

    return key


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def code(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The 6-digit code form (GET) and check-in (POST), same rules as the QR code."""
    session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk, page__live=True)
    form = CodeForm(request.POST or None)
    status = 200
    refusal: checkin.CheckinRefused | None = None
    if request.method == "POST":
        rate = getattr(settings, CODE_RATE_SETTING, DEFAULT_CODE_RATE)
        wait = hit(request, group="event_checkin.code", key=_limit_key(session), rate=rate)
        if wait is not None:
            form = CodeForm()
            response = _code_page(
                request,
                session,
                form,
                error=_("Too many attempts. Try again in %(seconds)d seconds, or see the trainer.")
                % {"seconds": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            try:
                result = checkin.check_in_with_digits(
                    session, request.user, form.cleaned_data["code"]
                )
            except checkin.CheckinRefused as error:
                refusal = error
                status = 400 if error.reason in CODE_ERRORS else 409
            else:
                return _result(request, result=result)
        else:
            status = 400
    return _code_page(
        request, session, form, error=refusal.message if refusal else "", status=status
    )


def _code_page(
    request: AuthenticatedHttpRequest,
    session: EventSession,
    form: CodeForm,
    *,
    error: str,
    status: int,
) -> HttpResponse:
    registration = Registration.objects.filter(session=session, user=request.user).first()
    attended = registration is not None and registration.state in (
        RegistrationState.ATTENDED,
        RegistrationState.PARTLY_ATTENDED,
    )
    return render(
        request,
        "content/attendance/checkin_code.html",
        {
            "session": session,
            "event": session.page,
            "registration": registration,
            "attended": attended,
            "is_open": session.checkin_opened_at is not None and session.closed_at is None,
            "form": form,
            "error": error,
        },
        status=status,
    )
