"""Tampering is found by ``manage.py verify_audit_log``: exit 1 and the first bad event.

Each test drops the append-only triggers first, as an attacker with database access would, then
changes the log directly in SQL: an edited row, a deleted row, two rows reordered, a rewritten
history (every hash recomputed after the edit), an edited checkpoint, a forged signature.
"""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.auditlog import verifier
from lms.auditlog.chain import event_record
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.models import AuditEvent, Checkpoint, VerificationRun
from lms.lib.signing_keys import public_multikey

from .tamper import drop_triggers, execute, record_events

pytestmark = pytest.mark.django_db


def verify() -> str:
    """Run the command; its output when the log verifies."""
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue()


def verify_fails() -> CommandError:
    with pytest.raises(CommandError) as failure:
        verify()
    assert failure.value.returncode == 1
    return failure.value


@pytest.fixture
def log() -> None:
    """Five events with a checkpoint at the third, then two more; it verifies."""
    record_events(3)
    take_checkpoint()
    record_events(2)
    assert verify().startswith("OK: 5 events and 1 checkpoints verified")
    drop_triggers()


def test_an_edited_row_is_the_first_bad_event(log):
    execute("UPDATE auditlog_auditevent SET subject_label = %s WHERE seq = 4", ["第99条"])
    failure = verify_fails()
    assert str(failure).startswith("FAILED at event 4: hash does not match")
    run = VerificationRun.objects.latest()  # the fixture's run verified
    assert (run.ok, run.first_bad_seq, run.events) == (False, 4, 3)


def test_an_edited_payload_is_found(log):
    execute("UPDATE auditlog_auditevent SET payload = %s WHERE seq = 2", ['{"n": 1}'])
    assert "FAILED at event 2:" in str(verify_fails())


def test_a_deleted_row_is_the_first_bad_event(log):
    execute("DELETE FROM auditlog_auditevent WHERE seq = 3")
    assert str(verify_fails()).startswith("FAILED at event 3: expected event 3, found 4")


def test_the_deleted_last_row_is_found_by_the_checkpoint(log):
    execute("DELETE FROM auditlog_auditevent WHERE seq > 2")
    assert str(verify_fails()).startswith(
        "FAILED at event 3: checkpoint names an event outside the verified chain"
    )


def test_two_rows_reordered_are_found_at_the_first(log):
    execute("UPDATE auditlog_auditevent SET seq = -2 WHERE seq = 2")
    execute("UPDATE auditlog_auditevent SET seq = 2 WHERE seq = 3")
    execute("UPDATE auditlog_auditevent SET seq = 3 WHERE seq = -2")
    assert str(verify_fails()).startswith("FAILED at event 2:")


def test_a_rewritten_history_is_found_by_the_signed_checkpoint(log):
    """The attacker edits event 2 and recomputes every hash after it: the chain is consistent
    again, but it no longer reaches the hash the checkpoint signed for event 3."""
    execute("UPDATE auditlog_auditevent SET subject_label = %s WHERE seq = 2", ["改写"])
    prev = AuditEvent.objects.get(seq=1).hash
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        row = event_record(event)
        row["prev_hash"] = prev
        prev = verifier.link_hash(verifier.body_hash(verifier.body_of(row)), prev)
        execute(
            "UPDATE auditlog_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
            [row["prev_hash"], prev, event.seq],
        )
    assert str(verify_fails()).startswith(
        "FAILED at event 3: chain differs from the signed checkpoint"
    )


def test_an_edited_checkpoint_is_found(log):
    checkpoint = Checkpoint.objects.get()
    document = {**checkpoint.document, "hash": AuditEvent.objects.get(seq=2).hash}
    execute(
        "UPDATE auditlog_checkpoint SET document = %s, hash = %s WHERE id = %s",
        [verifier.canonical_json(document).decode(), document["hash"], checkpoint.pk],
    )
    assert str(verify_fails()).startswith("FAILED at event 3: checkpoint signature invalid")


def test_a_checkpoint_moved_to_another_event_is_found(log):
    checkpoint = Checkpoint.objects.get()
    document = {**checkpoint.document, "seq": 2}
    execute(
        "UPDATE auditlog_checkpoint SET document = %s WHERE id = %s",
        [verifier.canonical_json(document).decode(), checkpoint.pk],
    )
    assert str(verify_fails()).startswith("FAILED at event 2: checkpoint signature invalid")


def test_a_checkpoint_forged_with_another_key_is_found(log):
    """A checkpoint for the (untouched) head, signed by a key the platform does not publish."""
    forger = Ed25519PrivateKey.generate()
    head = AuditEvent.objects.order_by("-seq").first()
    document = {
        "type": verifier.CHECKPOINT_TYPE,
        "seq": head.seq,
        "hash": head.hash,
        "time": "2026-12-07T00:00:00.000000Z",
        "key": public_multikey(forger.public_key()),
    }
    Checkpoint.objects.create(
        seq=head.seq,
        hash=head.hash,
        created_at=Checkpoint.objects.get().created_at,
        public_key=document["key"],
        document=document,
        signature=forger.sign(verifier.canonical_json(document)).hex(),
    )
    assert str(verify_fails()).startswith("FAILED at event 5: checkpoint signature invalid")


def test_a_signature_of_the_right_key_over_other_bytes_is_found(log):
    checkpoint = Checkpoint.objects.get()
    forged = bytes.fromhex(checkpoint.signature)
    forged = bytes([forged[0] ^ 1]) + forged[1:]
    execute(
        "UPDATE auditlog_checkpoint SET signature = %s WHERE id = %s",
        [forged.hex(), checkpoint.pk],
    )
    assert str(verify_fails()).startswith("FAILED at event 3: checkpoint signature invalid")


def test_a_new_checkpoint_is_refused_after_tampering(log):
    """The hourly task will not sign a head that does not chain from the last checkpoint."""
    execute("UPDATE auditlog_auditevent SET subject_label = %s WHERE seq = 5", ["改"])
    with pytest.raises(CommandError, match="checkpoint refused: event 5: hash does not match"):
        call_command("audit_checkpoint", stdout=StringIO())
    assert Checkpoint.objects.count() == 1
