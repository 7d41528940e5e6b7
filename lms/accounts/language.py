"""Which language a person sees: their saved preference when signed in, else the request's."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_supported_language_variant


def supported_language(code: str | None) -> str:
    """Map any language code (e.g. ``zh-cn``, ``en-us``) onto one of settings.LANGUAGES."""
    try:
        return get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE
