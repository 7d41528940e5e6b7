"""Signed checkpoints: the platform's Ed25519 signature on the chain's head (seq, hash, time).

Why: the hash chain alone shows that rows were edited, but someone with database access could
rewrite a row *and every hash after it*. A checkpoint published at a stable public URL
(``/audit/checkpoints.json``) and copied by others pins the head as it was: a rewritten
history no longer reaches the hash a copy holds, and a new checkpoint cannot be made for it
without the platform's key. The hourly beat task and ``manage.py audit_checkpoint`` call
:func:`take_checkpoint`.

Before signing, the events since the last checkpoint are verified against it (a short walk:
an hour of events), so the platform never signs a head that does not chain from what it signed
before. The first checkpoint verifies the chain from the start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from lms.lib.signing_keys import current_signing_key

from . import verifier
from .models import AuditEvent, Checkpoint
from .verification import trusted_keys, verify_range

# pg_advisory_xact_lock key of "taking a checkpoint" (not the append lock: appends go on).
CHECKPOINT_LOCK_KEY = 0x5A_A0D1_7107


class CheckpointRefused(Exception):
    """The chain since the last checkpoint does not verify: the head must not be signed."""

    def __init__(self, result: verifier.Result) -> None:
        self.result = result
        super().__init__(f"event {result.first_bad_seq}: {result.problem}")


@dataclass(frozen=True)
class Outcome:
    """What :func:`take_checkpoint` did: the new checkpoint, or None with the reason."""

    checkpoint: Checkpoint | None
    reason: str = ""


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign_document(document: dict) -> str:
    """The hex Ed25519 signature of ``document``'s RFC 8785 form with the platform key."""
    return current_signing_key().private_key.sign(verifier.canonical_json(document)).hex()


def take_checkpoint(*, force: bool = False) -> Outcome:
    """Sign the chain's current head, unless it is unchanged since the last checkpoint (or the
    log is empty); ``force`` signs an unchanged head again (a fresh time, the current key).

    Raises :class:`CheckpointRefused` when the events since the last checkpoint do not verify.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        if head is None:
            return Outcome(None, "the audit log is empty")
        head_seq, head_hash = head
        last = Checkpoint.objects.order_by("-seq", "-id").first()
        if last is not None and last.seq == head_seq and not force:
            _verify_since(last, head_seq, head_hash)
            return Outcome(None, f"event {head_seq} is already the last checkpoint")
        _verify_since(last, head_seq, head_hash)
        key = current_signing_key()
        now = timezone.now()
        document = {
            "type": verifier.CHECKPOINT_TYPE,
            "seq": head_seq,
            "hash": head_hash,
            "time": _time(now),
            "key": key.public_multikey,
        }
        checkpoint = Checkpoint.objects.create(
            seq=head_seq,
            hash=head_hash,
            created_at=now,
            public_key=key.public_multikey,
            document=document,
            signature=sign_document(document),
        )
    return Outcome(checkpoint)


def _verify_since(last: Checkpoint | None, head_seq: int, head_hash: str) -> None:
    """The events after ``last`` (all of them without one) chain from it up to the head."""
    if last is None:
        result = verify_range(after_seq=0, prev_hash=verifier.GENESIS_HASH, up_to=head_seq)
    else:
        anchor = verifier.Result(hashes={last.seq: last.hash})
        verifier.check_checkpoints(anchor, [last.as_published()], trusted_keys())
        if not anchor.ok:
            raise CheckpointRefused(anchor)
        result = verify_range(after_seq=last.seq, prev_hash=last.hash, up_to=head_seq)
    if not result.ok:
        raise CheckpointRefused(result)
    if result.head_seq != head_seq:
        raise CheckpointRefused(result.fail(result.head_seq + 1, "the chain ends early"))
    if result.head_hash != head_hash:
        raise CheckpointRefused(result.fail(head_seq, "chain differs from the signed checkpoint"))


def published() -> dict:
    """The public list: every checkpoint (oldest first) and the keys that may have signed them."""
    keys = trusted_keys()
    return {
        "type": "SunshineAcademyAuditCheckpoints",
        "publicKeys": [
            {"publicKeyMultibase": key, "status": "current" if index == 0 else "retired"}
            for index, key in enumerate(keys)
        ],
        "checkpoints": [
            {"document": document, "signature": signature}
            for document, signature in Checkpoint.objects.order_by("seq", "id").values_list(
                "document", "signature"
            )
        ],
    }
