"""Signed checkpoints of the chain head (minimal stand-in; helper D's module replaces it).

An export must end at a signed checkpoint, so the export branch needs one on demand. The
interface is the one agreed with the checkpoint branch: :func:`take_checkpoint` signs
``{"type", "seq", "hash", "time", "key"}`` with the platform key, the signature being hex
Ed25519 over the document's canonical JSON, and skips when the head has not moved since the
latest checkpoint unless forced.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from lms.lib.signing_keys import current_signing_key

from . import verifier
from .chain import _time
from .models import AuditEvent, Checkpoint


def take_checkpoint(force: bool = False) -> Checkpoint:
    """Sign the current head; return the latest checkpoint instead if the head is unchanged."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        raise ValueError("the audit log is empty: there is no head to sign")
    seq, head_hash = head
    latest = Checkpoint.objects.order_by("-seq", "-id").first()
    if latest is not None and latest.seq == seq and not force:
        return latest
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
        return Checkpoint.objects.create(
            seq=seq,
            hash=head_hash,
            created_at=now,
            public_key=key.public_multikey,
            document=document,
            signature=signature,
        )
