"""Exam tasks: closing attempts whose time ran out while nobody was looking.

Certificate tasks are in ``exams.certificates.tasks``."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .attempts import close_expired_attempts


@shared_task(acks_late=True)
def close_abandoned_attempts() -> int:
    """Grade every attempt left open past its deadline (the tab was closed, the phone died).

    Runs every few minutes from beat; idempotent (an attempt is graded once, under its row lock),
    so a redelivered or overlapping run changes nothing. Returns how many attempts it closed.
    """
    return close_expired_attempts(timezone.now())
