"""Ratings follow events: each receiver queues a recompute of the collector concerned.

The task is queued after the triggering transaction commits, so it reads the new state. A broker
outage never breaks the user's action (the exception is logged and swallowed); the nightly full
recompute catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from courses.models import CPDEntry
from exams.certificates import signals as certificate_signals
from exams.certificates.models import CertificateStatus, ProgrammeAssignment
from lms.accounts.models import Membership

from . import signals
from .tasks.ratings import recompute_collectors

logger = logging.getLogger(__name__)


def queue_recompute(user_ids: Iterable[int], reason: str, firm_ids: Iterable[int] = ()) -> None:
    """Queue ``recompute_collectors`` once the current transaction commits (at once outside
    one). Never raises."""
    transaction.on_commit(
        partial(_send, [pk for pk in user_ids if pk], reason, [pk for pk in firm_ids if pk])
    )


def _send(user_ids: list[int], reason: str, firm_ids: list[int]) -> None:
    if not user_ids and not firm_ids:
        return
    try:
        recompute_collectors.delay(user_ids, reason, firm_ids)
    except Exception:  # any broker (or, when eager, recompute) failure: logged, not raised
        logger.exception(
            "Could not recompute ratings of %s (%s); the nightly run will catch up",
            user_ids,
            reason,
        )


@receiver(certificate_signals.certificate_issued, dispatch_uid="ratings.certificate_issued")
def certificate_issued(sender, *, certificate, **kwargs) -> None:
    queue_recompute([certificate.holder_id], "certificate_issued")


@receiver(certificate_signals.certificate_status_changed, dispatch_uid="ratings.certificate_status")
def certificate_status_changed(sender, *, certificate, status, **kwargs) -> None:
    # A renewal supersedes the old certificate right after issuing the new one, and
    # certificate_issued already queued that recompute.
    if status == CertificateStatus.SUPERSEDED:
        return
    # A change back to valid is a suspension lifted (issue 13).
    reason = (
        "certificate_reinstated" if status == CertificateStatus.VALID else f"certificate_{status}"
    )
    queue_recompute([certificate.holder_id], reason)


@receiver(signals.finding_status_changed, dispatch_uid="ratings.finding_status")
def finding_status_changed(sender, *, finding, status, **kwargs) -> None:
    # The finding counts against the firm the collector was with when it happened.
    queue_recompute([finding.collector_id], f"finding_{status}", [finding.firm_id])


@receiver(post_save, sender=Membership, dispatch_uid="ratings.membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="ratings.membership_deleted")
def membership_changed(sender, *, instance: Membership, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures: the data may be incomplete; the nightly run rates it
        return
    queue_recompute([instance.user_id], "membership_changed", [instance.firm_id])


@receiver(post_save, sender=ProgrammeAssignment, dispatch_uid="ratings.assignment_saved")
def assignment_changed(
    sender, *, instance: ProgrammeAssignment, raw: bool = False, **kwargs
) -> None:
    if raw:
        return
    queue_recompute([instance.user_id], "assignment_changed")


@receiver(post_save, sender=CPDEntry, dispatch_uid="ratings.cpd_entry_saved")
def cpd_entry_saved(sender, *, instance: CPDEntry, created: bool, raw: bool = False, **kwargs):
    # The training component counts the CPD hours of the last 365 days (formula 2026.3).
    if created and not raw:
        queue_recompute([instance.user_id], "cpd_hours")
