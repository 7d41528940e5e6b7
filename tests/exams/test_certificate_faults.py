"""Certificates survive the broker going down and a worker dying mid-issue (issue 5, faults).

The tests use real parts: a Redis broker of the test's own (a ``redis-server`` process it can
stop and start), Celery workers, and PostgreSQL (a worker cannot share SQLite's in-memory test
database). CI provides all three (REQUIRE_SERVICES=1), so there they cannot be skipped.

* Broker down when the exam is passed: the collector's submit still succeeds, the issuance is
  recorded with the grade, and once the broker is back the periodic sweep gets the certificate
  issued — once.
* Worker killed mid-issue: a worker process is SIGKILLed inside the issuing transaction, after
  the PDF is rendered and before the certificate row is written. Nothing is left half-done: no
  certificate without its PDF, and after the sweep exactly one certificate.
* The legal-update refresh has the same guarantees: a worker killed inside it leaves the old
  certificate valid and nothing new; duplicate deliveries, concurrent tasks, and a refresh
  racing the deadline's suspension produce one refreshed certificate.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from exams.certificates import issuance, suspension, tasks, updates
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    IssuanceRequest,
)
from exams.certificates.tasks import dispatch_pending_issuances
from lms.celery import app
from tests.conftest import require_service
from tests.exams.factories import fill_bank, make_bank, make_exam

from .certificate_factories import complete_course, make_programme
from .update_factories import certificate_on, make_module, superseding_change

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class RedisServer:
    """A throw-away Redis the test can stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, 10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "workers cannot share SQLite's in-memory test database")


@pytest.fixture
def redis(postgres, monkeypatch) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        require_service("redis-server", "these tests start a Redis of their own")
    server = RedisServer()
    previous = app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own settings (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    app.conf.update(task_always_eager=False, broker_url=server.url)
    reset_connections()
    try:
        yield server
    finally:
        server.stop()
        app.conf.update(task_always_eager=True, broker_url=previous)
        reset_connections()


def reset_connections() -> None:
    """Forget the app's cached connection pools so the next message uses ``broker_url``.

    Not ``force_close_all``: kombu keeps pools in a registry keyed by URL and would hand the
    closed pool back to the next test using the same broker.
    """
    # What Celery itself resets in a forked child (Celery._after_fork), minus its signal.
    app._pool = None
    app.amqp._producer_pool = None


def programme_with_exam() -> CertificationProgramme:
    """A programme whose only requirement is a 3-question exam with a 60% pass mark."""
    bank = make_bank()
    fill_bank(bank, 3)
    exam = make_exam([{"bank": bank, "count": 3}], pass_mark_percent=60)
    return CertificationProgramme.objects.create(
        name="合规催收从业资格", code="compliant-collection", final_exam=exam
    )


def pass_exam_over_http(client, user, programme) -> None:
    """The collector starts the exam, answers every question right and submits, in the browser's
    requests."""
    client.force_login(user)
    response = client.post(reverse("exams:start", args=[programme.final_exam.pk]))
    attempt = user.exam_attempts.get()
    assert response.status_code == 302
    for row in attempt.questions.select_related("version"):
        right = [c["id"] for c in row.version.data["choices"] if float(c["fraction"]) > 0]
        response = client.post(
            reverse("exams:save", args=[attempt.pk]),
            {"position": row.position, "choices": right},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    response = client.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.passed


def test_a_pass_while_the_broker_is_down_is_certified_once_it_returns(client, collector, redis):
    programme = programme_with_exam()

    # The broker is down (never started) when the collector passes.
    pass_exam_over_http(client, collector, programme)

    request = IssuanceRequest.objects.get(holder=collector, programme=programme)
    assert request.dispatched_at is None  # the dispatch failed and was not recorded
    assert not Certificate.objects.exists()

    # The broker comes back; a worker runs; beat's sweep fires (the task itself is sent through
    # the broker, as beat would send it).
    redis.start()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        dispatch_pending_issuances.delay()
        assert wait_for(lambda: Certificate.objects.filter(holder=collector).exists())
        # A second sweep and a duplicate delivery of the same request change nothing.
        dispatch_pending_issuances.delay()
        tasks.dispatch(request.pk)
        time.sleep(2)

    certificate = Certificate.objects.get(holder=collector)
    assert certificate.status == CertificateStatus.VALID
    assert certificate.pdf.read(5) == b"%PDF-"
    request.refresh_from_db()
    assert request.completed_at is not None


def worker_process(broker_url: str) -> subprocess.Popen:
    """A real worker process on the test database, as production runs one."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": broker_url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _blocked_inserting_certificate(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'INSERT INTO \"exams_certificate\"%%'"
        ).fetchone()
    return row[0] > 0


def test_a_worker_killed_mid_issue_leaves_no_half_certificate_and_the_sweep_finishes(
    collector, redis
):
    programme = programme_with_exam()
    redis.start()
    dsn = _test_database_url().replace("postgres://", "postgresql://")

    # Writes to the certificate table wait while this connection holds a SHARE lock, so the
    # worker stops inside its transaction, after rendering the PDF, at the INSERT.
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE exams_certificate IN SHARE MODE")
        worker = worker_process(redis.url)
        try:
            from django.test import Client

            pass_exam_over_http(Client(), collector, programme)
            assert wait_for(lambda: _blocked_inserting_certificate(dsn)), (
                worker.stderr.read1().decode() if worker.poll() is not None else "not blocked"
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        blocker.rollback()

    assert not Certificate.objects.exists(), "the killed transaction must leave nothing"
    request = IssuanceRequest.objects.get(holder=collector)
    assert request.completed_at is None

    # The message died with the worker (Redis would redeliver it only after its visibility
    # timeout); the sweep treats a request dispatched long ago and still open as lost.
    second = worker_process(redis.url)
    try:
        later = timezone.now() + issuance.REDISPATCH_AFTER + timedelta(seconds=1)
        assert tasks.dispatch_pending(later) == 1
        assert wait_for(lambda: Certificate.objects.filter(holder=collector).exists())
        # The dead worker's message, if it ever comes back, finds the work done.
        tasks.dispatch(request.pk)
        time.sleep(2)
    finally:
        second.terminate()
        second.wait(30)

    certificate = Certificate.objects.get(holder=collector)
    assert certificate.pdf.name
    with certificate.pdf.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert IssuanceRequest.objects.get(pk=request.pk).completed_at is not None


# --- The legal-update refresh (updates.refresh): the same guarantees -----------------------------


def _blocked_inserting_basis(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'INSERT INTO \"certificates_certificatebasis\"%%'"
        ).fetchone()
    return row[0] > 0


@pytest.fixture
def refresh_case(collector, monkeypatch):
    """A holder whose certificate cites a superseded article, and the update module for it."""
    monkeypatch.setattr(issuance, "render", lambda certificate: b"%PDF-1.7\n%%EOF\n")
    change = superseding_change()
    programme = make_programme().programme
    certificate = certificate_on(collector, programme, change.old)
    return certificate, make_module(programme, change)


def test_a_worker_killed_mid_refresh_leaves_the_old_certificate_and_the_sweep_finishes(
    collector, redis, refresh_case
):
    old, module = refresh_case
    redis.start()
    dsn = _test_database_url().replace("postgres://", "postgresql://")

    # The worker stops at the basis rows: after it superseded the old certificate and wrote
    # the new one (with its PDF), inside the same transaction.
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE certificates_certificatebasis IN SHARE MODE")
        worker = worker_process(redis.url)
        try:
            complete_course(collector, module.course)  # commits; the refresh is dispatched
            assert wait_for(lambda: _blocked_inserting_basis(dsn)), (
                worker.stderr.read1().decode() if worker.poll() is not None else "not blocked"
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        blocker.rollback()

    old.refresh_from_db()
    assert old.status == CertificateStatus.VALID and old.superseded_by_id is None
    assert Certificate.objects.filter(holder=collector).count() == 1
    request = IssuanceRequest.objects.get(holder=collector, update_module=module)
    assert request.completed_at is None

    second = worker_process(redis.url)
    try:
        later = timezone.now() + issuance.REDISPATCH_AFTER + timedelta(seconds=1)
        assert tasks.dispatch_pending(later) == 1
        assert wait_for(lambda: Certificate.objects.filter(holder=collector).count() == 2)
        tasks.dispatch(request.pk)  # the dead worker's message, delivered again
        time.sleep(2)
    finally:
        second.terminate()
        second.wait(30)

    old.refresh_from_db()
    refreshed = old.superseded_by
    assert old.status == CertificateStatus.SUPERSEDED
    assert refreshed.status == CertificateStatus.VALID
    assert refreshed.expires_at == old.expires_at
    assert set(refreshed.basis.all()) == {module.change.new}
    assert Certificate.objects.filter(holder=collector).count() == 2


def test_concurrent_refresh_tasks_issue_one_certificate(
    postgres, collector, refresh_case, django_capture_on_commit_callbacks
):
    old, module = refresh_case
    with django_capture_on_commit_callbacks(execute=False):
        complete_course(collector, module.course)  # the request, not yet dispatched
    request = IssuanceRequest.objects.get(update_module=module)
    barrier = threading.Barrier(6)
    results: list[int | None] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(tasks.issue_certificate.apply(args=[request.pk]).get())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    old.refresh_from_db()
    assert len(results) == 6 and set(results) == {old.superseded_by_id}
    assert Certificate.objects.filter(holder=collector).count() == 2


def test_a_refresh_racing_the_deadline_suspension_ends_valid(postgres, collector, refresh_case):
    old, module = refresh_case
    complete_course(collector, module.course)
    request = IssuanceRequest.objects.get(update_module=module)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    # The module's deadline passed yesterday, and the holder completed the course just now.
    module.deadline = timezone.localdate() - timedelta(days=1)
    module.save()
    threads = [
        threading.Thread(target=run, args=(lambda: issuance.issue(request.pk),)),
        threading.Thread(target=run, args=(updates.suspend_overdue,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    old.refresh_from_db()
    refreshed = old.superseded_by
    assert old.status == CertificateStatus.SUPERSEDED
    assert refreshed.status == CertificateStatus.VALID
    assert not refreshed.suspensions.exists()
    assert not old.suspensions.filter(ended_at__isnull=True).exists()


def run_together(*actions) -> tuple[list, list[BaseException]]:
    """Run ``actions`` in threads released at once; their results and errors."""
    barrier = threading.Barrier(len(actions))
    results: list = []
    errors: list[BaseException] = []

    def run(action) -> None:
        try:
            barrier.wait()
            results.append(action())
        except BaseException as error:  # noqa: BLE001 — reported to the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_concurrent_refresh_sweeps_write_one_request(
    postgres, collector, refresh_case, monkeypatch
):
    old, module = refresh_case
    monkeypatch.setattr(updates, "on_course_completed", lambda user, course: [])  # missed
    complete_course(collector, module.course)
    assert not IssuanceRequest.objects.filter(update_module=module).exists()

    results, errors = run_together(*[updates.request_missed_refreshes] * 4)

    assert not errors
    assert sum(len(written) for written in results) == 1
    request = IssuanceRequest.objects.get(update_module=module)
    assert request.renews_id == old.pk and request.completed_at is None


def test_a_refresh_racing_a_finding_suspension_never_ends_the_finding(
    postgres, collector, auditor, refresh_case
):
    old, module = refresh_case
    complete_course(collector, module.course)
    request = IssuanceRequest.objects.get(update_module=module)

    def suspend_for_finding():
        return suspension.suspend(old, category="finding", reason="稽核发现", by=auditor)

    _results, errors = run_together(lambda: issuance.issue(request.pk), suspend_for_finding)

    old.refresh_from_db()
    request.refresh_from_db()
    assert request.completed_at is not None
    finding = old.suspensions.filter(category="finding").first()
    if old.status == CertificateStatus.SUSPENDED:  # the auditor first: the refresh is refused
        assert finding.ended_at is None
        assert "audit finding" in request.last_error
        assert old.superseded_by_id is None
    else:  # the refresh first: the superseded certificate cannot be suspended
        assert old.status == CertificateStatus.SUPERSEDED and finding is None
        assert [type(error) for error in errors] == [suspension.SuspensionError]
