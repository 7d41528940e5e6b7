"""Signed checkpoints of the chain head (minimal stand-in; helper D's module replaces it).

An export must end at a signed checkpoint, so the export branch needs one on demand. This
mirrors the interface of the checkpoint branch (``audit-verify``): :func:`take_checkpoint`
returns an :class:`Outcome`, signs ``{"type", "seq", "hash", "time", "key"}`` with the platform
key (hex Ed25519 over the document's canonical JSON), skips an unchanged head unless forced, and
raises :class:`CheckpointRefused` rather than sign a head that does not verify.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lms.lib.signing_keys import current_signing_key

from . import verifier
from .chain import _time
from .models import AuditEvent, Checkpoint
from .verification import verify_database


class CheckpointRefused(Exception):
    """The chain does not verify: the head must not be signed."""

    def __init__(self, result: verifier.Result) -> None:
        self.result = result
        super().__init__(f"event {result.first_bad_seq}: {result.problem}")


@dataclass(frozen=True)
class Outcome:
    """What :func:`take_checkpoint` did: the new checkpoint, or None with the reason."""

    checkpoint: Checkpoint | None
    reason: str = ""


def take_checkpoint(*, force: bool = False) -> Outcome:
    """Sign the current head, unless it is unchanged since the last checkpoint (or the log is
    empty); ``force`` signs an unchanged head again."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        return Outcome(None, "the audit log is empty")
    seq, head_hash = head
    latest = Checkpoint.objects.order_by("-seq", "-id").first()
    if latest is not None and latest.seq == seq and not force:
        return Outcome(None, f"event {seq} is already the last checkpoint")
    result = verify_database()
    if not result.ok:
        raise CheckpointRefused(result)
    key = current_signing_key()
    now = timezone.now()
    document = {
        "type": verifier.CHECKPOINT_TYPE,
        "seq": seq,
        "hash": head_hash,
        "time": _time(now),
        "key": key.public_multikey,
    }
    signature = key.private_key.sign(verifier.canonical_json(document)).hex()
    with transaction.atomic():
        checkpoint = Checkpoint.objects.create(
            seq=seq,
            hash=head_hash,
            created_at=now,
            public_key=key.public_multikey,
            document=document,
            signature=signature,
        )
    return Outcome(checkpoint)
