"""Exam performance (issue 4): autosave keeps up with a trivial view, and its cost is constant.

* Throughput: gunicorn (two sync workers) serves autosaves at least 0.7 times as fast as a view
  that only returns "ok" through the same middleware (autosave is one SQL statement after the
  middleware's session and user look-ups: exams/autosave.py), measured in the same run and
  interleaved in rounds, so load from anything else on the machine hits both alike. Each client
  thread is a collector saving answers to their own attempt, as many collectors do during an exam.
* Queries: autosave and submit cost the same for a 10- or a 100-question paper, and grading a
  100-question paper takes a handful of queries.

Each benchmark prints a ``BENCH ...`` line with its figures (repeated in the run's summary).
Run with ``make bench`` (``pytest -m bench -s``); ``make test`` skips them.
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams import attempts
from exams.models import Attempt, AttemptStatus
from tests.exams.factories import fill_bank, make_bank, make_exam

from .conftest import BenchServer, BenchUser

pytestmark = [pytest.mark.bench]

ROUNDS = 9  # trivial, autosave, trivial, autosave, ...
ROUND_SECONDS = 0.75
MAX_REQUESTS = 400  # per client thread and round: the loop stops at whichever comes first
MIN_RATIO = 0.7
# Grading itself (7 at most), the collector's firms, and the audit log's two events (savepoint,
# chain head, event, person index row, release, and PostgreSQL's advisory lock), as in
# tests/exams/test_attempt_query_counts.py.
GRADING_QUERY_BUDGET = 7 + 1 + 2 * 6

Request = tuple[str, bytes]  # (path, JSON body)


@dataclass
class Tally:
    """Requests answered correctly, failures, and the time the clients spent sending them."""

    ok: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def autosaves(user: BenchUser) -> Iterator[Request]:
    """What a collector's page sends: answers to question after question, changing a few,
    sometimes clearing one; multiple-choice questions get two ticks."""
    path = f"/exam-attempts/{user.attempt}/save/"
    for step in itertools.count():
        position, kind, choices = user.questions[step % len(user.questions)]
        if step % 11 == 10:
            chosen: list[int] = []
        elif kind == "multiple":
            chosen = [choices[step % len(choices)], choices[(step + 1) % len(choices)]]
        else:
            chosen = [choices[step % len(choices)]]
        yield path, json.dumps({"position": position, "choices": chosen}).encode()


def trivial_posts(user: BenchUser) -> Iterator[Request]:
    """The same kind of request (a JSON POST, cookies, CSRF token) to the trivial view."""
    for _path, body in autosaves(user):
        yield "/bench/trivial/", body


def autosave_ok(status: int, body: bytes) -> bool:
    return status == 200 and json.loads(body).get("saved") is True


def trivial_ok(status: int, body: bytes) -> bool:
    return status == 200 and body == b"ok"


def run_clients(
    server: BenchServer,
    requests_for: Callable[[BenchUser], Iterator[Request]],
    is_ok: Callable[[int, bytes], bool],
    seconds: float,
) -> Tally:
    """One thread per signed-in user, each on its own connection, for ``seconds`` or
    MAX_REQUESTS requests, whichever comes first."""
    tally = Tally()
    lock = threading.Lock()
    barrier = threading.Barrier(len(server.users) + 1)

    def client(user: BenchUser) -> None:
        # gunicorn's sync workers close the connection after each response; http.client opens
        # a new one for the next request, as a browser would.
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": user.csrf_token,
            "Cookie": user.cookie,
        }
        requests = requests_for(user)
        ok, failures = 0, []
        barrier.wait()
        started = time.monotonic()
        stop_at = started + seconds
        try:
            for _ in range(MAX_REQUESTS):
                if time.monotonic() >= stop_at:
                    break
                path, body = next(requests)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                if is_ok(response.status, payload):
                    ok += 1
                else:
                    failures.append(f"{path} {response.status} {payload[:200]!r}")
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            conn.close()
        elapsed = time.monotonic() - started
        with lock:
            tally.ok += ok
            tally.failures += failures
            tally.seconds = max(tally.seconds, elapsed)

    threads = [threading.Thread(target=client, args=(user,)) for user in server.users]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    return tally


def add(total: Tally, part: Tally) -> None:
    total.ok += part.ok
    total.seconds += part.seconds
    total.failures += part.failures


def test_autosave_throughput_is_at_least_0_7_of_a_trivial_views_under_gunicorn(
    bench_server: BenchServer, report: Callable[[str], None]
) -> None:
    # Warm up both paths in both workers (URL resolver, templates, connections).
    run_clients(bench_server, trivial_posts, trivial_ok, 0.5)
    run_clients(bench_server, autosaves, autosave_ok, 0.5)

    # Short alternating rounds, and the median of each pair's ratio: a burst of load from
    # anything else on the machine spoils one pair, not the result.
    trivial, autosave, ratios = Tally(), Tally(), []
    for _ in range(ROUNDS):
        trivial_round = run_clients(bench_server, trivial_posts, trivial_ok, ROUND_SECONDS)
        autosave_round = run_clients(bench_server, autosaves, autosave_ok, ROUND_SECONDS)
        ratios.append(autosave_round.per_second / trivial_round.per_second)
        add(trivial, trivial_round)
        add(autosave, autosave_round)

    ratio = statistics.median(ratios)
    report(
        f"BENCH autosave_rps={autosave.per_second:.1f} trivial_rps={trivial.per_second:.1f} "
        f"ratio={ratio:.2f} (median of {ROUNDS} rounds, from {min(ratios):.2f} to "
        f"{max(ratios):.2f}; gunicorn 2 sync workers, {len(bench_server.users)} clients, "
        f"{bench_server.database}; {autosave.ok} autosaves, {trivial.ok} trivial requests)"
    )
    assert not trivial.failures, trivial.failures[:5]
    assert not autosave.failures, autosave.failures[:5]
    assert ratio >= MIN_RATIO, f"autosave is {ratio:.2f}x the trivial view's throughput"


# --- Query counts (in this process, on the test database) ---------------------------------------


def count_queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def answered_paper(user, bank, size: int) -> Attempt:
    attempt = attempts.start_attempt(user, make_exam([{"bank": bank, "count": size}]))
    attempts.save_answers(
        attempt, {row.position: row.choice_order[:1] for row in attempt.questions.all()}
    )
    return attempt


def test_autosave_submit_and_grading_queries_do_not_grow_with_the_paper(
    client, collector, report: Callable[[str], None]
) -> None:
    bank = make_bank()
    fill_bank(bank, 100)
    client.force_login(collector)
    small, large = answered_paper(collector, bank, 10), answered_paper(collector, bank, 100)

    def autosave(attempt: Attempt) -> int:
        choice = attempt.questions.get(position=7).choice_order[1]
        url = reverse("exams:save", args=[attempt.pk])
        body = json.dumps({"position": 7, "choices": [choice]})

        def post() -> None:
            response = client.post(url, body, content_type="application/json")
            assert response.status_code == 200, response.content

        return count_queries(post)

    def submit(attempt: Attempt) -> int:
        url = reverse("exams:submit", args=[attempt.pk])

        def post() -> None:
            response = client.post(url, {"confirm": "1"})
            assert response.status_code == 302, response.status_code

        return count_queries(post)

    autosave(small)  # warm per-process caches (content types, site root)
    autosave_counts = [autosave(small), autosave(large)]
    submit_counts = [submit(small), submit(large)]

    graded = answered_paper(collector, bank, 100)
    grading = count_queries(lambda: attempts.submit_attempt(graded))
    graded.refresh_from_db()

    report(
        f"BENCH autosave_queries_10={autosave_counts[0]} autosave_queries_100={autosave_counts[1]} "
        f"submit_queries_10={submit_counts[0]} submit_queries_100={submit_counts[1]} "
        f"grading_queries_100={grading} ({connection.vendor}; HTTP requests include the "
        f"session and user look-ups)"
    )
    assert autosave_counts[0] == autosave_counts[1]
    assert submit_counts[0] == submit_counts[1]
    assert graded.status == AttemptStatus.SUBMITTED and graded.max_score == 100
    assert graded.score == 100  # factories' first choice is the right one; choices not shuffled
    assert grading <= GRADING_QUERY_BUDGET, grading
