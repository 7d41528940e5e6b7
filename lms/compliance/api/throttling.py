"""Per-token rate limit for the platform API (``API_RATE_LIMIT``, e.g. ``600/m``).

A fixed window counted with the cache's atomic ``incr``: one round trip per call, and shared by
every process when ``CACHE_URL`` points at Redis (with the per-process memory cache each process
counts on its own). Over the limit, ninja answers 429 with ``Retry-After`` set from
:meth:`TokenRateThrottle.wait` — the seconds until the window ends.
"""

from __future__ import annotations

import math
import threading
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@lru_cache(maxsize=8)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/m"`` → ``(600, 60)``: requests allowed per period in seconds."""
    count, _slash, period = rate.partition("/")
    try:
        requests = int(count)
        seconds = PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT must look like 600/m (per s, m, h or d), got {rate!r}"
        ) from None
    if requests < 1:
        raise ImproperlyConfigured(f"API_RATE_LIMIT must allow at least one request: {rate!r}")
    return requests, seconds


class TokenRateThrottle(BaseThrottle):
    """At most ``API_RATE_LIMIT`` calls per token per window (read on each call, so tests and
    deployments can change it without a restart)."""

    def __init__(self) -> None:
        # One instance serves every request: the wait computed for a refused call is kept per
        # thread, between allow_request() and ninja's call to wait().
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if token is None:  # not authenticated: the 401 already answered
            return True
        limit, period = parse_rate(settings.API_RATE_LIMIT)
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{token.pk}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add() and incr()
            cache.set(key, 1, timeout=period + 1)
            count = 1
        if count > limit:
            self._local.wait = max(1, math.ceil((window + 1) * period - now))
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
