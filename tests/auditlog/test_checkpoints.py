"""Signed checkpoints: taken hourly by beat and on demand, published at /audit/checkpoints.json."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.auditlog import verifier
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.models import AuditEvent, Checkpoint, VerificationRun
from lms.auditlog.tasks import checkpoint_and_verify
from lms.celery import app
from lms.lib.signing_keys import current_signing_key

from .tamper import drop_triggers, execute, record_events

pytestmark = pytest.mark.django_db

URL = "/audit/checkpoints.json"


def checkpoint_command(*args: str) -> str:
    out = StringIO()
    call_command("audit_checkpoint", *args, stdout=out)
    return out.getvalue()


def test_the_command_signs_the_head_with_the_platform_key():
    record_events(3)
    output = checkpoint_command()
    head = AuditEvent.objects.get(seq=3)
    assert output.startswith(f"Checkpoint signed: event 3, hash {head.hash}")
    checkpoint = Checkpoint.objects.get()
    key = current_signing_key().public_multikey
    assert (checkpoint.seq, checkpoint.hash, checkpoint.public_key) == (3, head.hash, key)
    assert checkpoint.document == {
        "type": "SunshineAcademyAuditCheckpoint",
        "seq": 3,
        "hash": head.hash,
        "time": checkpoint.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key": key,
    }
    assert verifier.checkpoint_signature_valid(checkpoint.as_published(), [key])
    assert not verifier.checkpoint_signature_valid(checkpoint.as_published(), [])


def test_an_unchanged_head_is_not_signed_again_unless_forced():
    record_events(2)
    checkpoint_command()
    assert checkpoint_command() == "No new checkpoint: event 2 is already the last checkpoint.\n"
    assert Checkpoint.objects.count() == 1
    assert checkpoint_command("--force").startswith("Checkpoint signed: event 2")
    assert Checkpoint.objects.count() == 2
    record_events(1)
    assert checkpoint_command().startswith("Checkpoint signed: event 3")


def test_an_empty_log_has_nothing_to_sign():
    assert checkpoint_command() == "No new checkpoint: the audit log is empty.\n"
    assert not Checkpoint.objects.exists()


def test_a_checkpoint_whose_anchor_was_forged_refuses_to_sign():
    record_events(2)
    take_checkpoint()
    record_events(1)
    drop_triggers()
    execute("UPDATE auditlog_checkpoint SET signature = %s", ["00" * 64])
    with pytest.raises(CommandError, match="checkpoint refused: event 2: checkpoint signature"):
        checkpoint_command()


def test_the_hourly_beat_task_checkpoints_then_verifies():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint-and-verify"]
    assert entry["task"] == "lms.auditlog.tasks.checkpoint_and_verify"
    schedule = entry["schedule"]
    assert schedule.minute == {7} and len(schedule.hour) == 24  # once an hour
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks

    record_events(4)
    task = app.tasks[entry["task"]]
    assert task.delay().get() == {"checkpoint": 4, "ok": True, "first_bad_seq": None}
    run = VerificationRun.objects.get()
    assert (run.ok, run.events, run.checkpoints) == (True, 4, 1)
    # Run again (a redelivered message): nothing new to sign, verified again.
    assert checkpoint_and_verify.delay().get()["checkpoint"] is None
    assert Checkpoint.objects.count() == 1
    assert VerificationRun.objects.count() == 2


def test_the_task_records_a_failed_verification_when_the_log_was_tampered_with():
    record_events(3)
    take_checkpoint()
    record_events(2)
    drop_triggers()
    execute("UPDATE auditlog_auditevent SET subject_label = 'x' WHERE seq = 4")
    assert checkpoint_and_verify.delay().get() == {
        "checkpoint": None,
        "ok": False,
        "first_bad_seq": 4,
    }
    assert Checkpoint.objects.count() == 1  # the broken head was not signed
    run = VerificationRun.objects.get()
    assert (run.ok, run.first_bad_seq) == (False, 4)
    assert run.problem == "hash does not match the event's content"


def test_a_deletion_before_the_last_checkpoint_is_left_to_the_full_verification():
    """Signing walks only the events since the last checkpoint: the new checkpoint is still
    true (event 4 chains from the hash signed for event 3); the verification after it finds
    the deleted event 2."""
    record_events(3)
    take_checkpoint()
    record_events(1)
    drop_triggers()
    execute("DELETE FROM auditlog_auditevent WHERE seq = 2")
    assert checkpoint_and_verify.delay().get() == {
        "checkpoint": 4,
        "ok": False,
        "first_bad_seq": 2,
    }
    assert VerificationRun.objects.get().problem == "expected event 2, found 3"


def test_the_public_list_needs_no_login_and_every_checkpoint_verifies(client):
    record_events(2)
    take_checkpoint()
    record_events(1)
    take_checkpoint()
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    keys = [key["publicKeyMultibase"] for key in data["publicKeys"]]
    assert keys == [current_signing_key().public_multikey]
    assert data["publicKeys"][0]["status"] == "current"
    assert [cp["document"]["seq"] for cp in data["checkpoints"]] == [2, 3]
    for checkpoint in data["checkpoints"]:
        assert verifier.checkpoint_signature_valid(checkpoint, keys)
        assert (
            checkpoint["document"]["hash"]
            == AuditEvent.objects.get(seq=checkpoint["document"]["seq"]).hash
        )


def test_the_public_list_lists_retired_keys_and_answers_conditional_requests(client, settings):
    record_events(1)
    take_checkpoint()
    retired = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    settings.CERTIFICATE_RETIRED_PUBLIC_KEYS = [retired]
    first = client.get(URL)
    assert first.json()["publicKeys"][1] == {"publicKeyMultibase": retired, "status": "retired"}
    etag = first["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    record_events(1)
    take_checkpoint()
    second = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 200
    assert len(second.json()["checkpoints"]) == 2
    assert client.post(URL).status_code == 405
    assert client.head(URL).status_code == 200


def test_a_kept_copy_of_the_list_proves_a_rewrite_even_if_the_checkpoints_are_deleted(
    client, tmp_path
):
    """Someone kept a copy; the attacker then rewrote the log and deleted every checkpoint."""
    record_events(3)
    take_checkpoint()
    copy = tmp_path / "checkpoints.json"
    copy.write_text(client.get(URL).content.decode(), encoding="utf-8")
    out = StringIO()
    call_command("verify_audit_log", "--checkpoints", str(copy), stdout=out)
    assert out.getvalue().startswith("OK: 3 events and 2 checkpoints verified")

    drop_triggers()
    execute("DELETE FROM auditlog_checkpoint")
    execute("DELETE FROM auditlog_auditevent WHERE seq = 3")
    call_command("verify_audit_log", stdout=StringIO())  # the database alone looks fine
    with pytest.raises(CommandError, match="FAILED at event 3: checkpoint names an event") as e:
        call_command("verify_audit_log", "--checkpoints", str(copy), stdout=StringIO())
    assert e.value.returncode == 1


def test_an_unreadable_copy_is_a_usage_error(tmp_path):
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps({"checkpoints": "no"}))
    with pytest.raises(CommandError, match="holds no list of checkpoints") as e:
        call_command("verify_audit_log", "--checkpoints", str(copy))
    assert e.value.returncode == 2
    with pytest.raises(CommandError, match="cannot read"):
        call_command("verify_audit_log", "--checkpoints", str(tmp_path / "missing.json"))
