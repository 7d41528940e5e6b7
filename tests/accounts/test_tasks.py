"""Account tasks, run in-process (the broker path is in tests/lms/test_celery_worker.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from lms.accounts.tasks import clear_expired_sessions


def test_clearing_sessions_removes_only_expired_ones_and_is_idempotent(db):
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="new", session_data="", expire_date=now + timedelta(1))
    assert clear_expired_sessions.delay().get() == 1
    assert clear_expired_sessions.delay().get() == 0
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_it_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "lms.accounts.tasks.clear_expired_sessions" in tasks
