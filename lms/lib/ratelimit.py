"""Fixed-window rate limits with an exact ``Retry-After``, on django-ratelimit's counter.

Why one module: the public certificate lookups (per client IP) and the platform API (per
token) each parsed rates their own way and counted differently — one through django-ratelimit,
one with hand-written cache calls. Both now count with :func:`django_ratelimit.core.get_usage`
(one atomic cache ``add``/``incr`` per request, in the default cache: Redis in production via
``CACHE_URL``, so every web process shares the count) and read the rate with one parser.

A refusal carries the seconds until the caller's window resets, from the usage's
``time_left`` (django-ratelimit staggers windows per key, so this is not simply the period).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, wraps

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

Key = Callable[[str, HttpRequest], str]  # (group, request) -> who is counted

# A count per period: "30/m", "100/5m", "600/min", "1000/hour".
PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)\s*([a-z]+)$", re.IGNORECASE)


@lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/m"`` → ``(30, 60)``, ``"100/5m"`` → ``(100, 300)``: requests allowed, window in
    seconds. Periods: s, m, h, d (or sec, min, hour, day), optionally multiplied. ValueError
    if malformed, if it allows nothing, or if its window is empty."""
    match = _RATE.match(rate.strip())
    period = PERIODS.get(match.group(3).lower()) if match else None
    if not match or period is None or match.group(2) == "0" or int(match.group(1)) < 1:
        raise ValueError(f"not a rate such as 30/m or 100/5m: {rate!r}")
    return int(match.group(1)), int(match.group(2) or 1) * period


def client_ip(group: str, request: HttpRequest) -> str:
    """The client IP as allauth sees it, so a proxy configured for allauth's own limits
    (``ALLAUTH_TRUSTED_PROXY_COUNT``) is honoured here too."""
    return get_adapter().get_client_ip(request)


def hit(request: HttpRequest, *, group: str, key: Key, rate: str) -> int | None:
    """Count this request against ``key``'s budget in ``group``. ``None`` while within the
    rate; once over it, the whole seconds until the window resets (at least 1)."""
    limit, period = parse_rate(rate)
    usage = get_usage(
        request, group=group, key=key, rate=(limit, period), method=ALL, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    return retry_after(usage["time_left"], period)


def retry_after(time_left: int, period: int) -> int:
    """Seconds until a window with ``time_left`` resets. django-ratelimit's window ends at a
    whole second (the last one it still counts), so the reset comes one second after that;
    a negative ``time_left`` means the cache failed, so wait a whole period."""
    if time_left < 0:
        return period
    return min(time_left + 1, period)


def limit_view(
    *, group: str, key: Key, setting: str, refused: Callable[[], HttpResponse]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: every request counts against the rate in ``settings.<setting>`` (read
    per request, so tests and deployments can change it); over it, ``refused()`` is answered
    with ``Retry-After``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wait = hit(request, group=group, key=key, rate=getattr(settings, setting))
            if wait is None:
                return view(request, *args, **kwargs)
            response = refused()
            response["Retry-After"] = str(wait)
            return response

        return limited_view

    return decorator


def rate_setting_check(setting: str, check_id: str) -> Callable[..., list[checks.CheckMessage]]:
    """A system check that ``settings.<setting>`` is a rate :func:`parse_rate` accepts."""

    def check_rate_setting(app_configs, **kwargs) -> list[checks.CheckMessage]:
        try:
            parse_rate(getattr(settings, setting))
        except ValueError as error:
            return [
                checks.Error(
                    f"{setting} is invalid: {error}.",
                    hint="Use a count per period such as 30/m, 500/h or 100/5m.",
                    id=check_id,
                )
            ]
        return []

    return check_rate_setting
