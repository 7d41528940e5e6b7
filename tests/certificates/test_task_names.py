"""The certificate tasks moved module, and so changed name; nothing queued before is lost.

A message queued under an old name (``exams.tasks.issue_certificate``) before an upgrade is
refused by the new workers as an unregistered task. Its issuance request is still open in the
database, though, and ``dispatch_pending_issuances`` (the outbox's sweep) queues it again under
the new name once it counts as lost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from exams.certificates import issuance, tasks
from exams.certificates.models import Certificate, IssuanceRequest
from lms.celery import app
from tests.exams.certificate_factories import make_programme, passing_attempt, use_fast_pdf

pytestmark = pytest.mark.django_db

CERTIFICATE_TASKS = [
    "issue_certificate",
    "dispatch_pending_issuances",
    "expire_certificates",
    "send_expiry_reminders",
    "email_issued_certificate",
    "email_unsent_certificates",
]


@pytest.mark.parametrize("name", CERTIFICATE_TASKS)
def test_certificate_tasks_are_named_after_their_new_module(name):
    assert getattr(tasks, name).name == f"exams.certificates.tasks.{name}"
    assert f"exams.certificates.tasks.{name}" in app.tasks
    assert f"exams.tasks.{name}" not in app.tasks


def test_the_beat_schedule_names_only_registered_tasks():
    app.loader.import_default_modules()  # every app's tasks module, as a worker does
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_issue_certificate_keeps_its_delivery_options():
    task = tasks.issue_certificate
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == (Exception,)
    assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (5, 600, 10)
    email = tasks.email_issued_certificate
    assert email.acks_late and email.autoretry_for == (OSError,)
    assert (email.retry_backoff, email.retry_backoff_max, email.max_retries) == (30, 1800, 8)


def test_a_request_queued_under_the_old_task_name_is_issued_by_the_sweep(collector, monkeypatch):
    use_fast_pdf(monkeypatch)
    programme = make_programme(courses=0).programme
    attempt = passing_attempt(collector, programme.final_exam)
    # Dispatched before the upgrade as ``exams.tasks.issue_certificate``: the new workers
    # dropped that message, so the request is open and its dispatch looks lost.
    sent_at = timezone.now() - issuance.REDISPATCH_AFTER - timedelta(minutes=1)
    request = IssuanceRequest.objects.create(
        holder=collector, programme=programme, attempt=attempt, dispatched_at=sent_at
    )

    assert tasks.dispatch_pending_issuances.delay().get() == 1

    request.refresh_from_db()
    assert request.completed_at is not None
    assert Certificate.objects.get(request=request).holder == collector
    assert request.dispatched_at > sent_at
