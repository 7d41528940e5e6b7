"""Exam tasks: closing attempts whose time ran out while nobody was looking."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def close_abandoned_attempts() -> int:
    """Grade every attempt left open past its deadline (the tab was closed, the phone died).

    Runs every few minutes from beat; idempotent (an attempt is graded once, under its row lock),
    so a redelivered or overlapping run changes nothing. Returns how many attempts it closed.
    """
    from .attempts import close_expired_attempts

    return close_expired_attempts(timezone.now())
