"""Request-wide account rules: the signed-in user's language, and MFA for staff roles."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .language import supported_language
from .roles import requires_mfa
from .sign_in import SignInState, sign_in_state

# Open to every session, however far it got signing in: assets, the health check and the
# language switch (which changes nothing but the language).
ALWAYS_OPEN_PREFIXES = ("/i18n/", "/static/", "/media/", "/healthz")
# Where a staff member signed in with a password but without TOTP yet may go: allauth's pages,
# to set TOTP up (after entering the password again), or sign out.
SET_UP_PREFIXES = ("/accounts/",)


class LanguageMiddleware(LocaleMiddleware):
    """Chooses the interface language: the signed-in user's saved choice, else the language
    cookie set by the switcher, else Simplified Chinese.

    Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language: the product is
    Chinese first, and a collector on a phone set to English still gets the Chinese the
    training is written for until they switch. Must run after AuthenticationMiddleware.
    """

    def process_request(self, request: HttpRequest) -> None:
        user = request.user  # reads the session and the user: one query each, once per request
        if user.is_authenticated and user.preferred_language:
            language = user.preferred_language
        else:
            language = supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class StaffMFARequiredMiddleware:
    """Trainers, reviewers, auditors and superusers count as signed in only once this session
    has passed allauth's sign-in including the second factor (see :mod:`.sign_in`).

    - No allauth record in the session (it did not come through allauth's form): signed out
      and treated as anonymous, so it must sign in again, rate-limited and with MFA.
    - TOTP set up but no code entered in this session: nothing but the code and signing out
      (allauth's MFA reauthentication page, which has allauth's rate limit on codes).
    - No TOTP yet: the pages to set it up (all of /accounts/), and nothing else.

    JSON requests get a JSON 401 or 403 instead of a redirect. Must run after
    AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(ALWAYS_OPEN_PREFIXES)
            or not request.user.is_authenticated  # requires_mfa says no for them too
            or not requires_mfa(request.user)
        ):
            return self.get_response(request)
        state = sign_in_state(request, request.user)
        if state is SignInState.COMPLETE:
            return self.get_response(request)
        if state is SignInState.NOT_THROUGH_ALLAUTH:
            return self._sign_out(request)
        if state is SignInState.SECOND_FACTOR_PENDING:
            return self._ask_for_code(request)
        return self._ask_to_set_up(request)

    def _sign_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        message = _("For your security, please sign in again.")
        if _wants_json(request):
            return JsonResponse({"error": message}, status=401)
        messages.info(request, message)
        return self.get_response(request)  # as anonymous: each view decides what that means

    def _ask_for_code(self, request: HttpRequest) -> HttpResponse:
        code_page = reverse("mfa_reauthenticate")
        if request.path in (code_page, reverse("account_logout")):
            return self.get_response(request)
        message = _("Enter the code from your authenticator app to continue.")
        if _wants_json(request):
            return JsonResponse({"error": message}, status=401)
        messages.info(request, message)
        next_url = request.get_full_path()
        return redirect(f"{code_page}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")

    def _ask_to_set_up(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(SET_UP_PREFIXES):
            return self.get_response(request)
        message = _("Your role requires two-factor authentication. Set up an authenticator app.")
        if _wants_json(request):
            return JsonResponse({"error": message}, status=403)
        messages.warning(request, message)
        return redirect("mfa_activate_totp")


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("accept", "").startswith("application/json")
