"""Admission tasks: the daily opening of re-assessments (beat schedule in settings)."""

from __future__ import annotations

from celery import shared_task

from . import reassessment


@shared_task
def open_reassessments() -> int:
    """Open the re-assessments that are due and email the firms' managers (README:
    Re-assessment and training readiness). Idempotent; returns how many were opened."""
    return len(reassessment.open_due().opened)
