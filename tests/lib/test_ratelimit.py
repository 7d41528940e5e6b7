"""lms.lib.ratelimit: one rate parser and one fixed-window limiter with an exact Retry-After,
used by the public certificate lookups and the platform API (their own tests cover the views)."""

from __future__ import annotations

import zlib

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from lms.lib import ratelimit
from lms.lib.ratelimit import hit, limit_view, parse_rate, rate_setting_check, retry_after


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("30/m", (30, 60)),
        ("100/5m", (100, 300)),
        ("1/s", (1, 1)),
        ("500/h", (500, 3600)),
        ("2/d", (2, 86400)),
        ("600/min", (600, 60)),
        ("600/ M", (600, 60)),
        (" 10/hour ", (10, 3600)),
        ("10/sec", (10, 1)),
        ("10/2day", (10, 172800)),
    ],
)
def test_it_parses_a_count_per_period(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "30", "0/m", "30/0m", "30/w", "30/", "/m", "-1/m", "m/30"])
def test_it_refuses_a_malformed_rate(rate):
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(rate)


def test_retry_after_counts_the_windows_last_second_and_a_failed_cache_waits_a_period():
    assert retry_after(0, 60) == 1
    assert retry_after(59, 60) == 60
    assert retry_after(-1, 60) == 60


def by_ip(group, request) -> str:
    return request.META["REMOTE_ADDR"]


def test_it_refuses_past_the_limit_with_the_seconds_until_the_window_resets(monkeypatch):
    now = 1_800_000_000
    monkeypatch.setattr("django_ratelimit.core.time.time", lambda: now + 0.25)
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    # django-ratelimit staggers each key's window by crc32(key) % period.
    window_end = now - now % 60 + zlib.crc32(b"198.51.100.7") % 60
    if window_end < now:
        window_end += 60

    assert [hit(request, group="t", key=by_ip, rate="2/m") for _ in range(2)] == [None, None]
    assert hit(request, group="t", key=by_ip, rate="2/m") == window_end - now + 1
    other = RequestFactory().get("/", REMOTE_ADDR="198.51.100.8")
    assert hit(other, group="t", key=by_ip, rate="2/m") is None


def test_a_limited_view_answers_the_refusal_with_retry_after():
    def refused() -> HttpResponse:
        return HttpResponse("slow down", status=429)

    @limit_view(group="t.view", key=by_ip, setting="TEST_RATE", refused=refused)
    def view(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    with override_settings(TEST_RATE="1/h"):
        assert view(request).status_code == 200
        limited = view(request)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 3600


def test_the_setting_check_reports_a_malformed_rate():
    check = rate_setting_check("TEST_RATE", "tests.E001")
    with override_settings(TEST_RATE="30/m"):
        assert check(None) == []
    with override_settings(TEST_RATE="thirty"):
        [error] = check(None)
    assert error.id == "tests.E001"
    assert "TEST_RATE is invalid" in error.msg


def test_the_client_ip_is_the_one_allauth_uses():
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5")
    assert ratelimit.client_ip("any", request) == "203.0.113.5"
