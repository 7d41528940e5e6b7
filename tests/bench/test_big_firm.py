"""Big firms (issue 17, item 4): a lender contracting 20 agencies with 20,000 collectors.

``seed_big_firm`` fills the test database twice: the big lender (``BIG_FIRM_COLLECTORS``,
default 20,000, over 20 agencies, plus 200 in-house), and a small one (200 collectors over 20
agencies) to compare query counts with. Then, over HTTP through Django's test client (the whole
middleware stack, PostgreSQL), as the lender's manager:

* the dashboard and the roster with every filter, on its first, middle and last page:
  p50/p95 (asserted < 300 ms) and the number of queries (asserted the same on every page and
  for the small lender);
* the platform API's collector list for the largest agency's token (5,500 collectors), first,
  middle and last page, and filtered by grade: the same;
* the CSV and XLSX exports of one agency (~1,850 rows) and of the whole scope (20,200 rows):
  the peak of Python's memory while the response is produced and read (tracemalloc), asserted
  to grow by less than half when the rows grow tenfold, with their sizes and durations (traced,
  so slower than in production).

Prints ``BENCH big_firm ...`` lines. Needs a PostgreSQL ``DATABASE_URL``; run with
``make bench`` or ``pytest -m bench tests/bench/test_big_firm.py -s``.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lms.accounts.models import Firm, Membership, MembershipRole, User
from lms.compliance.models import ApiScope, ApiToken

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

COLLECTORS = int(os.environ.get("BIG_FIRM_COLLECTORS", "20000"))
RUNS = int(os.environ.get("BIG_FIRM_RUNS", "10"))  # requests per measured address
LIMIT_MS = 300.0  # p95, from the issue
MEMORY_RATIO = 1.5  # peak at 10x the rows / peak at 1x
PAGE_SIZE = 50  # the roster's and the API's default
FILTERS = [
    {},
    {"grade": "A"},
    {"grade": "D"},
    {"grade": "none"},
    {"certificate": "valid"},
    {"certificate": "expired"},
    {"expiring": "30"},
    {"expiring": "60"},
    {"overdue": "on"},
    {"q": "F2"},
    {"q": "王"},
    {"sort": "grade"},
    {"sort": "-grade"},
    {"sort": "expiry"},
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Probe:
    """Times one address a number of times and counts the queries of one request."""

    def __init__(self, client: Client, report, **headers: str) -> None:
        self.client, self.report, self.headers = client, report, headers
        self.failures: list[str] = []
        self.baseline = 1.0  # ms: the p50 of a trivial request, to judge the machine's load

    def measure(self, label: str, url: str, params: dict, runs: int = RUNS) -> tuple[int, float]:
        self.client.get(url, params, **self.headers)  # warm
        executed: list[str] = []

        def count(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.client.get(url, params, **self.headers)
        assert response.status_code == 200, (url, params, response.status_code)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            self.client.get(url, params, **self.headers)
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        self.report(
            f"BENCH big_firm {label} params={params or '-'} queries={len(executed)} "
            f"p50_ms={p50:.0f} p95_ms={p95:.0f} p95/baseline={p95 / self.baseline:.1f}"
        )
        if p95 >= LIMIT_MS:
            self.failures.append(f"{label} {params}: p95 {p95:.0f} ms")
        return len(executed), p95


def roster_pages(probe: Probe, params: dict, pages: int, label: str) -> list[int]:
    """Queries on the first, middle and last page (all must match)."""
    counts = []
    for name, number in (("first", 1), ("middle", max(1, pages // 2)), ("last", pages)):
        query = {**params, "page": number} if number > 1 else params
        counts.append(probe.measure(f"{label} page={name}", "/firm/", query)[0])
    return counts


def peak_memory(client: Client, url: str) -> tuple[int, int, float]:
    """(peak bytes, response bytes, seconds) while the export is produced and read."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get(url)
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.status_code == 200
    return peak, size, seconds


def test_a_lender_with_20_agencies_and_20000_collectors_answers_within_300_ms(report):
    if connection.vendor != "postgresql":
        pytest.skip("the big-firm benchmark runs on PostgreSQL (set DATABASE_URL)")
    started = time.perf_counter()
    out = StringIO()
    call_command("seed_big_firm", collectors=COLLECTORS, seed=1, force=True, stdout=out)
    call_command("seed_big_firm", collectors=200, seed=2, force=True, stdout=out)
    report(f"BENCH big_firm seeded in {time.perf_counter() - started:.1f} s: {out.getvalue()}")

    big = User.objects.get(email="bigfirm1-lender-manager@example.com")
    small = User.objects.get(email="bigfirm2-lender-manager@example.com")
    client = Client()
    big_probe = Probe(client, report)
    small_client = Client()
    small_client.force_login(small)
    small_probe = Probe(small_client, lambda line: None)
    client.force_login(big)

    # As lms/wsgi.py does in a served process once the application is loaded: what start-up
    # (here, start-up and the seed) left in memory is not scanned by each full collection.
    gc.collect()
    gc.freeze()

    # The machine is shared: a trivial request through the same middleware, as a yardstick.
    trivial = []
    for _ in range(RUNS * 2):
        begun = time.perf_counter()
        client.get("/healthz")
        trivial.append((time.perf_counter() - begun) * 1000)
    big_probe.baseline = statistics.median(trivial)
    report(
        f"BENCH big_firm baseline /healthz p50_ms={big_probe.baseline:.1f} "
        f"p95_ms={percentile(trivial, 0.95):.1f} (load average {os.getloadavg()[0]:.1f})"
    )
    scope_size = client.get("/firm/").context["summary"].active
    report(f"BENCH big_firm lender scope={scope_size} collectors, page_size={PAGE_SIZE}")
    assert scope_size >= COLLECTORS
    mismatches = []
    for params in FILTERS:
        matching = client.get("/firm/", params).context["page"].paginator
        big_counts = roster_pages(big_probe, params, matching.num_pages, "roster")
        small_count, _ = small_probe.measure("small roster", "/firm/", params, runs=1)
        if len(set(big_counts)) != 1 or big_counts[0] != small_count:
            mismatches.append(f"roster {params}: {big_counts} vs small {small_count}")

    # The platform API: the largest agency's token (its own firm's staff only).
    api_failures, api_mismatches = [], []
    for seed, probe_label in ((1, "api"), (2, "small api")):
        agency = (
            Firm.objects.filter(name__startswith=f"大型压测资产管理{seed}-")
            .order_by("name")
            .first()
        )
        _token, key = ApiToken.issue(firm=agency, name="bench", scopes=[ApiScope.COLLECTORS_READ])
        api = Probe(Client(), report if seed == 1 else (lambda line: None))
        api.baseline = big_probe.baseline
        api.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        size = Membership.objects.active().filter(firm=agency, role=MembershipRole.COLLECTOR)
        pages = max(1, -(-size.count() // PAGE_SIZE))
        counts = [
            api.measure(
                f"{probe_label} collectors={size.count()} page={page}", "/api/v1/collectors", query
            )[0]
            for page, query in (
                ("first", {}),
                ("middle", {"page": max(1, pages // 2)}),
                ("last", {"page": pages}),
                ("grade=C,D", {"grade": ["C", "D"], "page": 2}),
            )
        ]
        api_mismatches.append(counts)
        api_failures.extend(api.failures)
    if api_mismatches[0] != api_mismatches[1]:
        mismatches.append(f"api {api_mismatches[0]} vs small {api_mismatches[1]}")

    # Exports: one agency (~1,850 rows) against the whole scope (20,200 rows).
    agencies = Firm.objects.filter(name__startswith="大型压测资产管理1-").order_by("name")
    third, smallest = agencies[2], agencies.last()
    memory_failures = []
    for extension in ("csv", "xlsx"):
        url = f"/firm/roster.{extension}"
        # Warm: imports and caches, with the smallest agency's few hundred rows.
        b"".join(client.get(f"{url}?firm={smallest.pk}").streaming_content)
        one, one_size, one_time = peak_memory(client, f"{url}?firm={third.pk}")
        every, every_size, every_time = peak_memory(client, url)
        rows_one = client.get("/firm/", {"firm": third.pk}).context["summary"].active
        ratio = every / one
        report(
            f"BENCH big_firm export {extension} rows={rows_one} peak_mb={one / 1e6:.2f} "
            f"size_mb={one_size / 1e6:.2f} traced_s={one_time:.1f} | rows={scope_size} "
            f"peak_mb={every / 1e6:.2f} size_mb={every_size / 1e6:.2f} "
            f"traced_s={every_time:.1f} | peak_ratio={ratio:.2f}"
        )
        if ratio >= MEMORY_RATIO:
            memory_failures.append(f"{extension}: peak ratio {ratio:.2f}")

    assert not mismatches, mismatches
    assert not big_probe.failures + api_failures, big_probe.failures + api_failures
    assert not memory_failures, memory_failures
