"""The two-node drill (``bench/drill.py``, ``make drill``) passes on CI's services.

Why a test: whether two web nodes, two Celery workers and one beat behave as one site (sessions,
rate limits, files, queued work) is a property of processes sharing PostgreSQL, Redis and the
object store, which no in-process test can show. The drill runs as its own process, as
``make drill`` does, on the PostgreSQL server of ``DATABASE_URL`` (database ``sunshine_drill``)
and the Redis server of ``CELERY_BROKER_URL`` (databases 2 and 3); its report is printed.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import pytest

from bench.drill import ROOT, Config, ServiceMissing, check_services, marked_processes
from tests.conftest import require_service
from tests.drill.child import run_child

pytestmark = pytest.mark.broker

# The steps whose passing lines the report must contain (bench/drill.py prints "ok   <title>").
REQUIRED_STEPS = (
    "processes: 2 gunicorn nodes, 2 Celery workers, 1 beat",
    "signs in on node A",
    "the exam is submitted on node A and passes",
    "a worker issues the certificate",
    "the PDF downloads on node B with the session made on A",
    "the verification page and its JSON answer on node B",
    "login rate limit shared",
    "verification rate limit shared",
    "SIGKILL drill-w1@drill",
    "the other worker completes every issuance",
    "SIGKILL the pool process of drill-w2@drill mid-issuance",
    "the worker puts the message back at once and issues it",
    "every certificate exists exactly once",
)


def _services() -> Config:
    """The drill's configuration, or a skip (a failure under REQUIRE_SERVICES=1)."""
    if urlsplit(os.environ.get("DATABASE_URL", "")).scheme not in {"postgres", "postgresql"}:
        require_service(
            "PostgreSQL",
            "the two-node drill needs PostgreSQL: set DATABASE_URL to a postgres:// URL (the "
            "drill creates sunshine_drill on that server)",
        )
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        require_service(
            "Redis",
            "the two-node drill needs Redis: set CELERY_BROKER_URL to a redis:// URL (the drill "
            "uses databases 2 and 3 on that server)",
        )
    config = Config.from_environment()
    try:
        check_services(config)
    except ServiceMissing as error:
        require_service("PostgreSQL and Redis", str(error))
    return config


def test_two_nodes_two_workers_and_a_beat_behave_as_one_site():
    config = _services()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # On timeout or Ctrl-C the drill gets SIGTERM and stops every process it started.
    result = run_child([sys.executable, "-m", "bench.drill"], cwd=ROOT, env=env, timeout=15 * 60)
    sys.stdout.write(result.stdout)
    report = result.stdout + result.stderr
    assert not result.timed_out, f"the drill took over 15 minutes:\n{report[-6000:]}"
    assert result.returncode == 0, report[-6000:]
    passed = [line for line in result.stdout.splitlines() if " ok   " in line]
    for title in REQUIRED_STEPS:
        assert any(title in line for line in passed), f"no passing step {title!r}:\n{report}"
    assert "drill passed" in result.stdout
    leftovers = marked_processes(config.workdir)
    assert not leftovers, f"processes the drill started still run: {leftovers}"
