"""Compliance tasks: ratings follow events within seconds, and a nightly run catches up.

Both are idempotent — a recompute compares with the current rating and writes only what
changed — so a redelivered message or two overlapping runs write nothing twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from lms.compliance import recompute


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def recompute_collectors(
    user_ids: list[int], reason: str, firm_ids: list[int] | None = None
) -> int:
    """Recompute these collectors' ratings (and their firms', plus ``firm_ids``) after an event;
    returns how many ratings changed. A database hiccup is retried; the nightly run is the
    backstop."""
    return recompute.for_users(user_ids, reason=reason, firm_ids=firm_ids or ()).changed


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def recompute_all_ratings() -> int:
    """The nightly full recompute (beat, 02:30): catches what no event announces — findings and
    refresher training fading with time, certificates nearing expiry, memberships that ended
    on a date — and anything an event's task missed. Returns how many ratings changed."""
    return recompute.full(reason=recompute.NIGHTLY).changed
