"""Tasks really travel through the broker to a worker when CELERY_BROKER_URL is set.

Eager mode proves nothing about serialisation, routing or the broker connection, so these tests
start a real worker (in a thread of this process) against the configured Redis/RabbitMQ. CI sets
CELERY_BROKER_URL and REQUIRE_SERVICES=1, so they cannot be skipped there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone

from lms.accounts.tasks import clear_expired_sessions, send_email
from tests.workers import live_worker, wait_for

pytestmark = pytest.mark.broker


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback) -> Iterator[list[str]]:
    """A live worker on the real broker; yields the names of tasks it received from the broker.

    The worker thread has its own database connection, so the test data must be committed
    (transactional_db); serialized rollback restores the migrations' data (groups, home page)
    for the tests that run after this one.
    """
    with live_worker() as tasks:
        yield tasks["received"]


def test_a_periodic_task_runs_on_a_real_worker_through_the_broker(worker):
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(1))

    clear_expired_sessions.delay()

    assert wait_for(lambda: not Session.objects.filter(session_key="expired").exists())
    assert Session.objects.filter(session_key="current").exists()
    assert "lms.accounts.tasks.clear_expired_sessions" in worker


def test_an_email_queued_after_commit_is_sent_by_the_worker(worker):
    send_email.delay_on_commit(subject="测试", body="您好", to=["collector@example.com"])

    assert wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].subject == "测试"
    assert mail.outbox[0].to == ["collector@example.com"]
    assert worker == ["lms.accounts.tasks.send_email"]
