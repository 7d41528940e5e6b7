"""Request-wide account rules: the signed-in user's language, and MFA for staff roles."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from .roles import requires_mfa

# Where a staff member without MFA may still go: to sign in, set MFA up, sign out, or switch
# language; plus assets and the health check.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/media/", "/healthz")


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the cookie and the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user  # reads the session and the user: one query each, once per request
        if user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


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
