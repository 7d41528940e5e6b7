"""The secret link an applicant (or a firm's manager, for a re-assessment) returns by.

Applicants need no account to apply: the first save gives them a link with a random token, and
only the token's SHA-256 is stored (as with API tokens), so a database leak opens nothing.
Issuing a new link replaces the old one: a forwarded or leaked link is cut off by asking for a
fresh one. The public views (``admission:resume``) look the application up by the token.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.urls import reverse

from .models import Application

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(application: Application) -> str:
    """A fresh absolute link to ``application``; any earlier link stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    application.access_token_hash = token_hash(token)
    Application.objects.filter(pk=application.pk).update(
        access_token_hash=application.access_token_hash
    )
    return settings.SITE_BASE_URL.rstrip("/") + reverse("admission:resume", args=[token])


def application_for_token(token: str) -> Application | None:
    """The application whose link carries ``token``, or None (any malformed token included)."""
    if not token or len(token) > 100:
        return None
    return (
        Application.objects.filter(access_token_hash=token_hash(token))
        .exclude(access_token_hash="")
        .first()
    )
