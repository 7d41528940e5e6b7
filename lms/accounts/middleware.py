"""Request-wide account rules: the signed-in user's language, and MFA for staff roles."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from .language import supported_language
from .roles import requires_mfa

# Where a staff member without MFA may still go: to sign in, set MFA up, sign out, or switch
# language; plus assets and the health check.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/media/", "/healthz")


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
    """Trainers, reviewers, auditors and superusers must set up TOTP before doing anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(MFA_EXEMPT_PREFIXES) or not requires_mfa(request.user):
            return self.get_response(request)
        has_totp = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        if has_totp:
            return self.get_response(request)
        message = _("Your role requires two-factor authentication. Set up an authenticator app.")
        if request.headers.get("accept", "").startswith("application/json"):
            return JsonResponse({"error": message}, status=403)
        messages.warning(request, message)
        return redirect("mfa_activate_totp")
