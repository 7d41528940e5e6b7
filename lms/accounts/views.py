"""Account views that allauth does not provide."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .language import supported_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also saves the choice on a signed-in user's profile."""
    response = django_set_language(request)
    code = request.POST.get("language")
    if request.user.is_authenticated and code:
        language = supported_language(code)
        if language == code and request.user.preferred_language != language:
            request.user.preferred_language = language
            request.user.save(update_fields=["preferred_language"])
    return response
