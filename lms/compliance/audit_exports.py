"""Exporting a firm's audit trail: write the bundle, then record who exported what.

Why here and not in :mod:`lms.auditlog`: the audit log sits below the apps and knows firms only
by id; choosing the firm (by credit code, or the manager's own), deciding who gets personal data
unmasked, and logging an unmasked export as a personal-data export (:mod:`.privacy`) belong to
the app that owns those rules. The firm managers' page and ``manage.py export_audit_log`` both
come through :func:`export_audit_log`, so every export leaves the same record.

Each export appends one ``auditlog.exported`` event naming the firm, the dates, the span, whether
it was masked and the bundle's SHA-256, so a regulator holding a bundle can match it to the
platform's record of handing it out. The bundle is written before that event's short
transaction (a long write must not hold the chain's append lock), and handed out only after it
committed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import transaction
from django.utils.text import get_valid_filename

from lms.accounts.models import Firm, User
from lms.auditlog.chain import record
from lms.auditlog.export import (
    BundleFirm,
    BundleSummary,
    DayOutOfRange,
    NoCheckpoint,
    NoCheckpointYet,
    NothingToExport,
    check_day,
    write_bundle,
)

from .privacy import log_access

__all__ = [
    "DayOutOfRange",
    "ExportedBundle",
    "NoCheckpoint",
    "NoCheckpointYet",
    "check_day",
    "NothingToExport",
    "bundle_filename",
    "export_audit_log",
]

# The personal data an unmasked bundle shows (the access log's field names).
UNMASKED_FIELDS = ["legal_name", "email", "audit_log_personal_data"]
CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportedBundle:
    """A written, recorded export: its counts and the SHA-256 of its bytes."""

    summary: BundleSummary
    sha256: str


def bundle_filename(firm: Firm | None, start: date, end: date) -> str:
    """e.g. ``audit-log-91310000MA1K4XXXXX-2026-12-01-2026-12-07.zip``."""
    who = firm.credit_code if firm else "all-firms"
    return get_valid_filename(f"audit-log-{who}-{start:%Y-%m-%d}-{end:%Y-%m-%d}") + ".zip"


def _sha256(fileobj: IO[bytes]) -> str:
    fileobj.seek(0)
    digest = hashlib.sha256()
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def export_audit_log(
    fileobj: IO[bytes],
    *,
    firm: Firm | None,
    start: date,
    end: date,
    masked: bool,
    actor: Any = None,
    sign_now: bool = True,
) -> ExportedBundle:
    """Write the bundle of ``firm``'s events (all events when None) from ``start`` to ``end``
    (Beijing days, inclusive) to ``fileobj`` (readable and seekable), and record the export.

    ``actor``: the user exporting, or a task name; None means whoever the request is.
    ``sign_now``: whether a checkpoint may be signed for events none covers yet (platform staff's
    command); without it the bundle stops at the latest checkpoint (firm managers' downloads).
    Raises :class:`NothingToExport` when no event is in the range, :class:`NoCheckpoint` when
    no checkpoint covers it and the chain does not verify; neither records anything.
    """
    bundle_firm = BundleFirm(firm.pk, firm.credit_code, firm.name) if firm else None
    summary = write_bundle(
        fileobj, start=start, end=end, masked=masked, firm=bundle_firm, sign_now=sign_now
    )
    fileobj.flush()
    sha256 = _sha256(fileobj)
    with transaction.atomic():
        if not masked and summary.unmasked_people:
            # Names and emails of these people leave the platform in full.
            log_access(
                User.objects.filter(pk__in=summary.unmasked_people).order_by("pk"),
                fields=UNMASKED_FIELDS,
                context=f"audit log export {sha256[:16]}",
                viewer=actor if isinstance(actor, User) else None,
                export=True,
                firms=[firm] if firm else [],
            )
        record(
            "auditlog.exported",
            subject=firm,
            subject_label=firm.name if firm else "all firms",
            actor=actor,
            firms=[firm] if firm else [],
            payload={
                "firm": firm.pk if firm else None,
                "from": start,
                "to": end,
                "first_seq": summary.first_seq,
                "last_seq": summary.last_seq,
                "events": summary.events,
                "redacted": summary.redacted,
                "masked": masked,
                "sha256": sha256,
            },
        )
    return ExportedBundle(summary=summary, sha256=sha256)
