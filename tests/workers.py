"""A real Celery worker on the configured broker, for the tests that must prove a path works
through Redis rather than eagerly (``pytest.mark.broker``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.signals import task_received, task_success
from django.db import connection

from lms.celery import app
from tests.conftest import require_service


@contextmanager
def live_worker() -> Iterator[dict[str, list[str]]]:
    """Run a worker thread on ``CELERY_BROKER_URL``; yield the names of the tasks it received
    (``"received"``) and of those that succeeded (``"succeeded"``).

    Skips (or, with ``REQUIRE_SERVICES``, fails) without a broker, and on SQLite: the worker
    thread has its own database connection, so the test data must be committed
    (``transactional_db``) in a database another connection can read.
    """
    broker_url = os.environ.get("CELERY_BROKER_URL")
    if not broker_url:
        require_service("A Celery broker", "CELERY_BROKER_URL is not set; start Redis to run this")
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "a worker thread cannot share SQLite's test database")
    tasks: dict[str, list[str]] = {"received": [], "succeeded": []}

    def on_received(sender=None, request=None, **kwargs) -> None:
        tasks["received"].append(request.name)

    def on_success(sender=None, **kwargs) -> None:
        tasks["succeeded"].append(sender.name)

    app.conf.update(task_always_eager=False, broker_url=broker_url)
    task_received.connect(on_received, weak=False)
    task_success.connect(on_success, weak=False)
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield tasks
    finally:
        task_received.disconnect(on_received)
        task_success.disconnect(on_success)
        app.conf.update(task_always_eager=True)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
