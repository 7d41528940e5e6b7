"""Bearer-token authentication for the platform API, with a scope per operation.

Every operation is given its own :class:`TokenAuth` naming the scope it needs, so an operation
cannot be added without saying who may call it. A key is looked up by its SHA-256 (the only
form stored); revoked and expired tokens are refused with a 401 that says why, and a token
without the operation's scope gets a 403 naming the missing scope. Error messages are English
and fixed: programs and their developers read them, not the site's users.

Once a call is authenticated, the audit log's context names its token as the actor of the rest
of the request (:func:`lms.auditlog.context.set_actor`).

Each token is also rate limited (:class:`TokenRateThrottle`, ``API_RATE_LIMIT``) with the
site's shared limiter, :mod:`lms.lib.ratelimit`.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from lms.auditlog import context as audit_context
from lms.compliance.models import ApiToken
from lms.compliance.models.api import hash_key
from lms.lib.ratelimit import hit, parse_rate

# ``last_used_at`` is written at most this often per token: one UPDATE a minute, not per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRequest(HttpRequest):
    """For annotations only: a request that :class:`TokenAuth` let through, so django-ninja has
    set ``request.auth`` to the caller's token (ninja itself types requests as plain
    HttpRequest)."""

    auth: ApiToken


class MissingScope(AuthorizationError):
    """The token is valid but was not granted the scope this operation needs."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(message=f"This API token lacks the scope {scope}.")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>`` → the firm's :class:`ApiToken` (``request.auth``).

    ``scope`` is the scope the operation requires; it is also published in the OpenAPI
    schema's security requirement (see ``urls.PlatformAPI``).
    """

    # ninja builds the OpenAPI security scheme from the openapi_* attributes.
    openapi_bearerFormat = "ssa_…"
    openapi_description = (
        "An API token created with `manage.py create_api_token` or in the admin, sent as "
        "`Authorization: Bearer <key>`."
    )

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiToken:
        value = request.headers.get(self.header, "")
        scheme, _space, key = value.partition(" ")
        if scheme.lower() != self.openapi_scheme or not key.strip():
            raise AuthenticationError(
                message="Send an API token in the header: Authorization: Bearer <key>."
            )
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = authenticate_key(token)
        if not api_token.has_scope(self.scope):
            raise MissingScope(self.scope)
        # Events the call writes (a personal-data view) name the token as their actor.
        audit_context.set_actor(api_token)
        return api_token


def authenticate_key(key: str, now=None) -> ApiToken:
    """The usable token for ``key``, or :class:`AuthenticationError` saying why not.

    One query (the token with its firm), plus an UPDATE of ``last_used_at`` at most once a
    minute per token.
    """
    now = now or timezone.now()
    token = ApiToken.objects.select_related("firm").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise AuthenticationError(message="Unknown API token.")
    if token.revoked_at is not None:
        raise AuthenticationError(message="This API token has been revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationError(message="This API token has expired.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_key(group: str, request: HttpRequest) -> str:
    # Counted only in TokenRateThrottle.allow_request, for a request TokenAuth let through.
    return str(cast(TokenRequest, request).auth.pk)


class TokenRateThrottle(BaseThrottle):
    """At most ``API_RATE_LIMIT`` calls per token per window (read on each call, so tests and
    deployments can change it without a restart). Over the limit ninja answers 429 with
    ``Retry-After`` from :meth:`wait`: the seconds until the token's window resets."""

    def __init__(self) -> None:
        # One instance serves every request: the wait computed for a refused call is kept per
        # thread, between allow_request() and ninja's call to wait().
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        if getattr(request, "auth", None) is None:  # not authenticated: the 401 already answered
            return True
        rate = settings.API_RATE_LIMIT
        assert rate is not None  # it has a default; env_str's type covers calls without one
        try:
            parse_rate(rate)
        except ValueError:
            raise ImproperlyConfigured(
                f"API_RATE_LIMIT must look like 600/m (per s, m, h or d), got {rate!r}"
            ) from None
        self._local.wait = hit(request, group="api", key=token_key, rate=rate)
        return self._local.wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
