"""The loop on PostgreSQL with a real Celery worker on Redis (issue 13, item 6 for updates):
a change with a published update module → both holders emailed → one completes the course →
refreshed certificate (old superseded, same expiry, new basis) → the deadline passes (beat's
task) → the other is suspended → completes the course → refreshed, valid again.

Every task goes through the broker to a worker thread of this process (so ``mail.outbox``
sees its emails); the beat entries are sent by name, as beat sends them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_received
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
)
from lms.celery import app
from tests.conftest import require_service

from .certificate_factories import complete_course, make_programme, use_fast_pdf
from .update_factories import certificate_on, make_module, superseding_change

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def worker(monkeypatch) -> Iterator[list[str]]:
    """A live worker on the configured broker; yields the names of the tasks it received."""
    broker_url = os.environ.get("CELERY_BROKER_URL")
    if not broker_url:
        require_service("A Celery broker", "CELERY_BROKER_URL is not set; start Redis to run this")
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "a worker thread cannot share SQLite's test database")
    use_fast_pdf(monkeypatch)
    received: list[str] = []

    def on_received(sender=None, request=None, **kwargs) -> None:
        received.append(request.name)

    app.conf.update(task_always_eager=False, broker_url=broker_url)
    task_received.connect(on_received, weak=False)
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield received
    finally:
        task_received.disconnect(on_received)
        app.conf.update(task_always_eager=True)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def run_beat_entry(name: str) -> None:
    app.send_task(settings.CELERY_BEAT_SCHEDULE[name]["task"])


def refreshed(certificate: Certificate) -> Certificate | None:
    certificate.refresh_from_db()
    return certificate.superseded_by


def test_the_update_loop_with_a_real_worker(worker, collector, other_collector):
    change = superseding_change()
    programme = make_programme().programme
    first = certificate_on(collector, programme, change.old)
    second = certificate_on(other_collector, programme, change.old)
    module = make_module(programme, change)  # its course is live: the module is published
    mail.outbox.clear()

    # Beat's sweep emails both holders, once.
    run_beat_entry("notify-update-module-holders")
    assert wait_for(lambda: len(mail.outbox) == 2)
    run_beat_entry("notify-update-module-holders")
    time.sleep(1)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [collector.email, other_collector.email]
    )
    deadline = module.effective_deadline
    assert all(f"{deadline.year}年" in message.subject for message in mail.outbox)

    # One completes the course in time: a refreshed certificate, issued by the worker.
    complete_course(collector, module.course)
    assert wait_for(lambda: refreshed(first) is not None)
    new_first = first.superseded_by
    assert first.status == CertificateStatus.SUPERSEDED
    assert new_first.status == CertificateStatus.VALID
    assert new_first.expires_at == first.expires_at
    assert new_first.request.kind == IssuanceKind.REFRESH
    assert set(new_first.basis.all()) == {change.new}

    # The deadline passes; beat's daily task suspends the other, still on the old basis.
    module.deadline = timezone.localdate() - timedelta(days=1)
    module.save(update_fields=["deadline"])
    run_beat_entry("suspend-overdue-update-modules")
    assert wait_for(
        lambda: Certificate.objects.get(pk=second.pk).status == CertificateStatus.SUSPENDED
    )
    suspension = second.suspensions.get()
    assert suspension.category == CertificateSuspension.Category.LAW_CHANGE
    new_first.refresh_from_db()
    assert new_first.status == CertificateStatus.VALID  # the refreshed one is not touched

    # The other completes the course: refreshed, so valid again (reinstated).
    complete_course(other_collector, module.course)
    assert wait_for(lambda: refreshed(second) is not None)
    new_second = second.superseded_by
    assert second.status == CertificateStatus.SUPERSEDED
    assert new_second.status == CertificateStatus.VALID
    assert new_second.expires_at == second.expires_at
    suspension.refresh_from_db()
    assert suspension.outcome == CertificateSuspension.Outcome.REFRESHED
    assert Certificate.objects.filter(status=CertificateStatus.VALID).count() == 2

    assert {
        "exams.certificates.tasks.notify_update_holders",
        "exams.certificates.tasks.suspend_overdue_updates",
        "exams.certificates.tasks.issue_certificate",
    } <= set(worker)
