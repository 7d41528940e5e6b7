"""Compliance tasks: webhook delivery with retries, and the sweep for deliveries whose task was
lost. The rules (claiming a try, signing, backoff, giving up) live in ``lms.compliance.webhooks``.
"""

from __future__ import annotations

import logging

from celery import shared_task

from lms.compliance import webhooks

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=webhooks.MAX_ATTEMPTS)
def deliver_webhook(self, delivery_id: int, attempt: int | None = None) -> str:
    """POST one webhook delivery; on failure retry with exponential backoff (10 s × 2ⁿ).

    ``attempt`` is how many tries the delivery had when this task was queued: a duplicate of
    the task (at-least-once brokers, the sweep) finds the count moved on and does nothing.
    """
    outcome = webhooks.attempt_delivery(delivery_id, expected_attempts=attempt)
    if outcome.retry_in is not None:
        raise self.retry(args=[delivery_id, outcome.attempts], countdown=outcome.retry_in)
    return outcome.status


@shared_task
def retry_pending_webhooks() -> int:
    """Queue again the deliveries left pending past their due time (beat, every 5 minutes)."""
    stuck = webhooks.stuck_deliveries()
    if stuck:
        logger.info("Re-queuing %s stuck webhook deliveries", len(stuck))
        webhooks.queue(stuck)
    return len(stuck)
