"""A rate limit on public certificate lookups, so verification codes cannot be enumerated.

Every lookup counts — found or not, page or JSON — against one budget per client IP
(``CERTIFICATE_VERIFY_RATE``, django-ratelimit syntax such as ``30/m``), kept in the default
cache: Redis in production (``CACHE_URL``), so all web processes share it. The client IP is the
one allauth uses for its own rate limits, so a proxy configured there
(``ALLAUTH_TRUSTED_PROXY_COUNT``) is honoured here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

GROUP = "certificates.verify"
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_period_seconds(rate: str) -> int:
    """The window of a rate such as ``30/m`` (60) or ``100/5m`` (300); ValueError if malformed."""
    match = _RATE.match(rate.strip())
    if not match or int(match.group(1)) < 1 or match.group(2) == "0":
        raise ValueError(f"not a rate such as 30/m or 100/5m: {rate!r}")
    return int(match.group(2) or 1) * _UNIT_SECONDS[match.group(3)]


def client_ip(group: str, request: HttpRequest) -> str:
    return get_adapter().get_client_ip(request)


def verify_rate(group: str, request: HttpRequest) -> str:
    return settings.CERTIFICATE_VERIFY_RATE


def too_many_lookups() -> HttpResponse:
    response = HttpResponse(
        _("Too many certificate lookups from your network. Please wait a minute and try again."),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(rate_period_seconds(settings.CERTIFICATE_VERIFY_RATE))
    return response


def verification_rate_limit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 once the client IP has used up its verification lookups."""

    @wraps(view)
    def limited_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_ratelimited(
            request, group=GROUP, key=client_ip, rate=verify_rate, method=ALL, increment=True
        ):
            return too_many_lookups()
        return view(request, *args, **kwargs)

    return limited_view


@checks.register()
def check_verify_rate(app_configs, **kwargs) -> list[checks.CheckMessage]:
    try:
        rate_period_seconds(settings.CERTIFICATE_VERIFY_RATE)
    except ValueError as error:
        return [
            checks.Error(
                f"CERTIFICATE_VERIFY_RATE is invalid: {error}.",
                hint="Use a count per period such as 30/m, 500/h or 100/5m.",
                id="exams.E110",
            )
        ]
    return []
