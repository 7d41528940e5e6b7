"""Exam day (issue 17): how many candidates can sit an exam at once on this machine.

gunicorn serves the site on 127.0.0.1 against PostgreSQL; locust (bench/locustfile.py, headless,
bounded in users and time) plays candidates who start the exam, autosave an answer every 10 s and
submit at moments of their own. One locust run steps the load up (``EXAMDAY_STEPS``, default 500,
1000, 1500, 2000 candidates): candidates are added at ``EXAMDAY_SPAWN_RATE`` per second (each
starts the exam as it arrives) up to the step's count, which is then held for 20 s to settle and
``EXAMDAY_STEADY_SECONDS`` measured. For each step the benchmark prints the autosave p95 of the
measured part and the errors of the whole step (its starts included), and at the end the largest
number of concurrent candidates whose autosave p95 stayed under 300 ms without a single error at
that step or below. It must be at least 1,500.

Candidates are signed in beforehand (sessions written straight into the session table): signing
in is not part of the measure.

Server: gunicorn's ``gthread`` workers, two processes (one per core: Python runs one thread at a
time per process) of eight threads each, so a worker keeps its core busy while some of its
threads wait on PostgreSQL, and sixteen database connections in all. Locust and PostgreSQL share
the same two cores; FastHttpUser keeps locust light.

Run with ``DATABASE_URL=postgres://… make bench PYTEST_ARGS=tests/bench/test_exam_day_load.py``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_service

from .conftest import BANK_SCRIPT, BASE_DIR, HOST, bench_environment, migrate_and_fill, serving

pytestmark = [pytest.mark.bench]

STEPS = [int(n) for n in os.environ.get("EXAMDAY_STEPS", "500,1000,1500,2000").split(",")]
SPAWN_RATE = int(os.environ.get("EXAMDAY_SPAWN_RATE", "10"))  # candidates starting per second
STEADY_SECONDS = int(os.environ.get("EXAMDAY_STEADY_SECONDS", "40"))  # measured, per step
SETTLE_SECONDS = 20  # after a step's last candidate is added, before measuring (as the locustfile)
P95_LIMIT_MS = 300
TARGET = 1500
WORKERS, THREADS = 2, 8
QUESTIONS = 30

SETUP_SCRIPT = (
    BANK_SCRIPT
    + """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from datetime import timedelta
from django.utils import timezone

from lms.accounts.models import User
from lms.accounts.roles import Role

COUNT = {count}
exam = make_exam(
    [{{"bank": bank, "count": SINGLE + MULTIPLE}}],
    title="Exam day",
    time_limit_minutes=90,
    max_attempts=0,
    shuffle_questions=True,
    shuffle_choices=True,
)
password = make_password("exam-day")
users = User.objects.bulk_create(
    User(email=f"candidate{{n}}@example.com", legal_name=f"考生{{n}}", password=password)
    for n in range(COUNT)
)
collectors = Group.objects.get(name=Role.COLLECTOR)
User.groups.through.objects.bulk_create(
    User.groups.through(user_id=user.pk, group_id=collectors.pk) for user in users
)
store = SessionStore()
expire = timezone.now() + timedelta(days=1)
sessions = []
for user in users:
    key = store._get_new_session_key()
    data = {{
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }}
    sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
Session.objects.bulk_create(sessions, batch_size=1000)
cookies = [f"{{settings.SESSION_COOKIE_NAME}}={{session.session_key}}" for session in sessions]
print("EXAMDAY-SETUP " + json.dumps({{"exam": exam.pk, "sessions": cookies}}))
"""
)


@dataclass
class Step:
    users: int
    autosaves: int
    p95_ms: float
    median_ms: float
    errors: int  # every request of the step: its ramp (starts, pages, autosaves) and steady part
    other: str  # starts, pages, submits

    @property
    def ok(self) -> bool:
        return self.autosaves > 0 and self.errors == 0 and self.p95_ms < P95_LIMIT_MS


@pytest.fixture(scope="module")
def exam_day_server(
    bench_database: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[int, dict, dict[str, str], Path]]:
    if not bench_database.startswith("postgres"):
        require_service("PostgreSQL", "the exam-day load test needs PostgreSQL (DATABASE_URL)")
    env = bench_environment(bench_database)
    started = time.monotonic()
    setup = migrate_and_fill(
        env,
        SETUP_SCRIPT.format(
            bank_name="Exam day bank", single=24, multiple=QUESTIONS - 24, count=max(STEPS)
        ),
        "EXAMDAY-SETUP",
    )
    created = time.monotonic() - started
    request.config.pluginmanager.getplugin("terminalreporter").write_line(
        f"exam day: database migrated, {max(STEPS)} candidates created in {created:.1f} s"
    )
    options = [
        "--worker-class",
        "gthread",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--worker-connections",
        "4000",
        "--backlog",
        "4096",
    ]
    with serving(env, options, tmp_path_factory.mktemp("gunicorn")) as (port, log_path):
        yield port, setup, env, log_path


def run_locust(port: int, exam: int, sessions: list[str], env: dict[str, str], folder: Path):
    """One headless locust run through every step (bench/locustfile.py's StepShape); the rows of
    its stats CSV by request name, and its failures."""
    candidates = folder / "candidates.json"
    candidates.write_text(json.dumps({"exam": exam, "sessions": sessions}))
    seconds = 0.0
    previous = 0
    for users in STEPS:
        seconds += (users - previous) / SPAWN_RATE + SETTLE_SECONDS + STEADY_SECONDS
        previous = users
    prefix = folder / "examday"
    locust = Path(sys.executable).with_name("locust")
    completed = subprocess.run(
        [
            str(locust),
            "-f",
            str(BASE_DIR / "bench" / "locustfile.py"),
            "--headless",
            "--host",
            f"http://{HOST}:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
            "--exit-code-on-error",
            "0",
        ],
        cwd=BASE_DIR,
        env={
            **env,
            "EXAMDAY_CANDIDATES": str(candidates),
            "EXAMDAY_STEPS": ",".join(map(str, STEPS)),
            "EXAMDAY_SPAWN_RATE": str(SPAWN_RATE),
            "EXAMDAY_STEADY_SECONDS": str(STEADY_SECONDS),
        },
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        check=False,
    )
    stats_path = Path(f"{prefix}_stats.csv")
    assert stats_path.exists(), completed.stderr[-3000:]
    rows = {row["Name"]: row for row in csv.DictReader(stats_path.open())}
    failures_path = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_path.open())) if failures_path.exists() else []
    return rows, failures


def step_figures(users: int, rows: dict[str, dict]) -> Step:
    mine = {name: row for name, row in rows.items() if name.endswith((f"@{users}", f"->{users}"))}
    autosave = mine.get(f"autosave @{users}")

    def figures(action: str) -> str:
        count = sum(
            int(row["Request Count"]) for name, row in mine.items() if name.startswith(action)
        )
        return f"{count} {action}s"

    return Step(
        users=users,
        autosaves=int(autosave["Request Count"]) if autosave else 0,
        p95_ms=float(autosave["95%"]) if autosave else float("inf"),
        median_ms=float(autosave["50%"]) if autosave else float("inf"),
        errors=sum(int(row["Failure Count"]) for row in mine.values()),
        other=", ".join(figures(action) for action in ("start", "submit")),
    )


def test_at_least_1500_candidates_autosave_under_300_ms(
    exam_day_server, tmp_path: Path, report: Callable[[str], None]
) -> None:
    port, setup, env, log_path = exam_day_server
    load_before = os.getloadavg()
    rows, failures = run_locust(port, setup["exam"], setup["sessions"], env, tmp_path)
    load_after = os.getloadavg()
    steps = [step_figures(users, rows) for users in STEPS]
    for step in steps:
        report(
            f"BENCH exam_day users={step.users} autosave_p95_ms={step.p95_ms:.0f} "
            f"autosave_median_ms={step.median_ms:.0f} autosaves={step.autosaves} "
            f"errors={step.errors} ({'ok' if step.ok else 'over the limit'}; {step.other})"
        )
    for failure in failures[:8]:
        report(f"  failure: {failure['Occurrences']}x {failure['Name']}: {failure['Error'][:200]}")
    if failures:
        report("  gunicorn's log ends: " + log_path.read_text()[-1500:])
    # Everyone still writing at the last step hands in after it (bench/locustfile.py).
    ending = {name: row for name, row in rows.items() if name.endswith("(after)")}
    handed_in = int(ending.get("submit (after)", {}).get("Request Count", 0))
    end_errors = sum(int(row["Failure Count"]) for row in ending.values())
    report(f"BENCH exam_day end: {handed_in} submits after the last step, {end_errors} errors")
    # The largest step reached with every step up to it within the limits.
    largest = 0
    for step in steps:
        if not step.ok:
            break
        largest = step.users
    report(
        f"BENCH exam_day_capacity={largest} concurrent candidates with autosave p95 < "
        f"{P95_LIMIT_MS} ms and no errors (steps {', '.join(str(s) for s in STEPS)}; gunicorn "
        f"gthread {WORKERS}x{THREADS}, {SPAWN_RATE} starts/s, {STEADY_SECONDS} s measured per "
        f"step; PostgreSQL; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after)"
    )
    assert largest >= TARGET, f"{largest} concurrent candidates (target {TARGET})"
    assert handed_in >= 0.95 * STEPS[-1] and end_errors == 0, (handed_in, end_errors)
