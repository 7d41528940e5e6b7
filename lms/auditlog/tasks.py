"""The audit log's hourly task: sign the chain's head, then verify the whole log.

Why both in one task: the checkpoint pins the history others may copy, and the full
verification (kept as a VerificationRun, shown in the admin) tells staff within the hour if
someone with database access changed a row. A refused checkpoint (the events since the last
one do not verify) is not an error of the task: the verification that follows records where
the chain breaks.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .checkpoints import CheckpointRefused, take_checkpoint
from .verification import run_verification

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def checkpoint_and_verify() -> dict:
    """Beat, hourly: checkpoint (unless the head is unchanged), then verify everything.

    Idempotent: run twice, the second run signs nothing new and verifies again.
    """
    checkpoint_seq = None
    try:
        outcome = take_checkpoint()
        checkpoint_seq = outcome.checkpoint.seq if outcome.checkpoint else None
    except CheckpointRefused as refused:
        logger.error("audit checkpoint refused: %s", refused)
    result, run = run_verification()
    if not result.ok:
        logger.error(
            "audit log verification failed at event %s: %s", result.first_bad_seq, result.problem
        )
    return {"checkpoint": checkpoint_seq, "ok": run.ok, "first_bad_seq": run.first_bad_seq}
