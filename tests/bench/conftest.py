"""A real server for the benchmarks: gunicorn with two sync workers on 127.0.0.1.

The server runs in separate processes with ``tests.bench.settings`` against a database of the
benchmark's own: a SQLite file in a temporary folder, or, when ``DATABASE_URL`` names a
PostgreSQL server (CI), a database ``<name>_bench`` on it, created here and dropped afterwards.
``manage.py migrate`` builds it and :data:`SETUP_SCRIPT` fills it: collectors, each with an
exam attempt in progress on a 30-question paper and a signed-in session.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.processes import free_port, stop

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
WORKERS = 2
CLIENTS = 2  # one signed-in collector per client thread, each with their own attempt
QUESTIONS = 30  # the demo exam's paper size
STARTUP_TIMEOUT = 60.0
COMMAND_TIMEOUT = 300.0

# The start of each set-up script, run in a separate process (``python -c``) with the bench
# settings: Django set up, and a question bank named {bank_name} of {single} single- and
# {multiple} multiple-answer questions. Each script goes on to make its exam and people, and
# prints one JSON line.
BANK_SCRIPT = """
import json
import django

django.setup()

from django.conf import settings

from tests.exams.factories import fill_bank, make_bank, make_exam

SINGLE, MULTIPLE = {single}, {multiple}
bank = make_bank({bank_name!r})
fill_bank(bank, SINGLE)
fill_bank(
    bank,
    MULTIPLE,
    type="multiple",
    choices=[("A", "0.5", ""), ("B", "0.5", ""), ("C", "-1", ""), ("D", "-1", "")],
)
"""

SETUP_SCRIPT = (
    BANK_SCRIPT
    + """
from django.test import Client

from exams import attempts
from lms.accounts.roles import Role
from tests.conftest import make_user

exam = make_exam(
    [{{"bank": bank, "count": SINGLE + MULTIPLE}}],
    title="Benchmark exam",
    time_limit_minutes=45,
    shuffle_questions=True,
    shuffle_choices=True,
)
users = []
for number in range({clients}):
    user = make_user(f"bench{{number}}@example.com", f"压测{{number}}", Role.COLLECTOR)
    attempt = attempts.start_attempt(user, exam)
    client = Client()
    client.force_login(user)
    questions = [
        [row.position, row.version.data["type"], row.choice_order]
        for row in attempt.questions.select_related("version").order_by("position")
    ]
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    users.append(
        {{
            "session": f"{{settings.SESSION_COOKIE_NAME}}={{session}}",
            "attempt": attempt.pk,
            "questions": questions,
        }}
    )
print("BENCH-SETUP " + json.dumps({{"exam": exam.pk, "users": users}}))
"""
)


BENCH_LINES: list[str] = []


@pytest.fixture
def report(request: pytest.FixtureRequest):
    """``report("BENCH name=value ...")``: show a line now and again in the run's summary."""
    reporter = request.config.pluginmanager.getplugin("terminalreporter")

    def write(line: str) -> None:
        BENCH_LINES.append(line)
        reporter.write_line(line)

    return write


def pytest_terminal_summary(terminalreporter) -> None:
    if BENCH_LINES:
        terminalreporter.section("benchmarks")
        for line in BENCH_LINES:
            terminalreporter.write_line(line)


@dataclass
class BenchUser:
    """A signed-in collector: the cookies and CSRF token a browser would hold."""

    attempt: int
    questions: list[tuple[int, str, list[int]]]  # (position, type, choice ids in paper order)
    cookie: str
    csrf_token: str


@dataclass
class BenchServer:
    host: str
    port: int
    users: list[BenchUser]
    database: str  # "sqlite" or "postgresql", for the printout


def run_python(args: list[str], env: dict[str, str]) -> str:
    """Run ``python <args>`` from the project folder; its stdout, or a failure with its output."""
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"{' '.join(args[:2])} failed ({completed.returncode}):\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed.stdout


def bench_environment(database: str) -> dict[str, str]:
    """The environment of the benchmark's child processes: the bench settings on ``database``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "BENCH_DATABASE_URL": database,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def migrate_and_fill(env: dict[str, str], script: str, marker: str) -> dict:
    """Migrate the benchmark's database, fill it with ``script`` (run as ``python -c``) and
    return the JSON document the script prints after ``marker``."""
    run_python(["manage.py", "migrate", "--no-input", "--verbosity", "0"], env)
    output = run_python(["-c", script], env)
    return json.loads(output.split(f"{marker} ", 1)[1])


@contextmanager
def serving(env: dict[str, str], options: list[str], folder: Path) -> Iterator[tuple[int, Path]]:
    """gunicorn serving the site on a free port of :data:`HOST`, with ``options`` (worker class,
    workers, threads...) and its log in ``folder``; yields the port and the log's path once the
    site answers, and stops gunicorn on exit."""
    port = free_port(HOST)
    log_path = folder / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "lms.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                *options,
                "--timeout",
                "60",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(process, port, log_path)
        yield port, log_path
    finally:
        stop(process, timeout=15)


@pytest.fixture(scope="module")
def bench_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database for the server: SQLite in a temporary folder, or a
    dedicated PostgreSQL database when DATABASE_URL points at PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.sqlite3'}"
        return

    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench"
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def bench_server(
    bench_database: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[BenchServer]:
    """Migrate and fill the database, start gunicorn, and stop it when the module is done."""
    env = bench_environment(bench_database)
    started = time.monotonic()
    setup = migrate_and_fill(
        env,
        SETUP_SCRIPT.format(
            bank_name="Benchmark bank", single=24, multiple=QUESTIONS - 24, clients=CLIENTS
        ),
        "BENCH-SETUP",
    )
    request.config.pluginmanager.getplugin("terminalreporter").write_line(
        f"bench: database migrated and filled in {time.monotonic() - started:.1f} s"
    )
    options = ["--workers", str(WORKERS), "--threads", "1", "--worker-class", "sync"]
    with serving(env, options, tmp_path_factory.mktemp("gunicorn")) as (port, _log_path):
        users = [sign_in(port, user) for user in setup["users"]]
        engine = "postgresql" if bench_database.startswith("postgres") else "sqlite"
        yield BenchServer(HOST, port, users, engine)


def wait_until_serving(process: subprocess.Popen, port: int, log_path: Path) -> None:
    """Poll the trivial view until gunicorn answers (or fail with gunicorn's log)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", "/bench/trivial/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer in {STARTUP_TIMEOUT:.0f} s:\n{log_path.read_text()}")


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(port: int, user: dict) -> BenchUser:
    """Open the attempt page as the browser would, to collect the CSRF cookie and token."""
    session_cookie = user["session"]  # "sessionid=..."
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request(
        "GET", f"/exam-attempts/{user['attempt']}/", headers={"Cookie": session_cookie}
    )
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 200, (response.status, body[:500])
    csrf_cookie = next(
        header.split(";", 1)[0]
        for header in response.headers.get_all("Set-Cookie") or []
        if header.startswith("csrftoken=")
    )
    token = CSRF_INPUT.search(body)
    assert token, "no CSRF token on the attempt page"
    return BenchUser(
        attempt=user["attempt"],
        questions=[tuple(question) for question in user["questions"]],
        cookie=f"{session_cookie}; {csrf_cookie}",
        csrf_token=token.group(1),
    )
