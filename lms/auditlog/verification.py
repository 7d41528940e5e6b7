"""Verifying the audit log in the database: the chain, then every checkpoint's signature.

The same functions as the standalone verifier (:mod:`lms.auditlog.verifier`) decide; this module
only reads the rows in order, in chunks, so a million events stay within memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from lms.lib.signing_keys import published_public_keys

from . import verifier
from .chain import event_record
from .models import AuditEvent, Checkpoint

ROW_FIELDS = (
    "seq",
    "occurred_at",
    "event_type",
    "actor_kind",
    "actor_id",
    "actor_label",
    "subject_type",
    "subject_id",
    "subject_label",
    "firms",
    "persons",
    "request_id",
    "payload",
    "personal",
    "personal_digest",
    "prev_hash",
    "hash",
)


def _records(chunk_size: int = 5000) -> Iterator[dict]:
    rows = AuditEvent.objects.order_by("seq").values(*ROW_FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        yield event_record(row)


def trusted_keys() -> list[str]:
    """The platform's current public key and the retired ones it still vouches for."""
    return published_public_keys()


def verify_database() -> verifier.Result:
    """Recompute the whole chain and check every checkpoint; the first mismatch wins."""
    checkpoints = [cp.as_published() for cp in Checkpoint.objects.order_by("seq", "id")]
    seqs = {cp["document"].get("seq") for cp in checkpoints}
    result = verifier.verify_chain(_records(), keep_hashes=seqs)
    if result.ok:
        verifier.check_checkpoints(result, checkpoints, trusted_keys())
    return result
