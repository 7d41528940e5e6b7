"""``manage.py export_audit_log``: the bundle it writes verifies in a subprocess, each export is
itself an audit event, an unmasked one is a personal-data export, and errors write nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lms.auditlog.models import AuditEvent, Checkpoint
from lms.compliance.models import PersonalDataAccess
from tests.auditlog.helpers import one_event

from .export_builders import (
    A_PERSON,
    Trail,
    build_trail,
    bundle_json,
    bundle_text,
    run_verifier,
    tamper_with,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)


@pytest.fixture
def trail(monkeypatch) -> Trail:
    return build_trail(monkeypatch, DAY)


def export(*args: str) -> str:
    out = StringIO()
    call_command("export_audit_log", *args, stdout=out)
    return out.getvalue()


def test_it_writes_a_masked_firm_bundle_that_verifies(tmp_path, trail):
    target = tmp_path / "a.zip"
    out = export(
        "--firm", trail.firm_a.credit_code, "--from", "2026-11-20", "--to", "2026-11-20",
        "-o", str(target), "--masked",
    )  # fmt: skip

    done = run_verifier(target)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = bundle_json(target, "manifest.json")
    assert manifest["masked"] is True
    assert manifest["events"] == len(trail.a_seqs)
    assert A_PERSON not in bundle_text(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"SHA-256 {digest}" in out
    assert f"{len(trail.a_seqs)} events in full" in out

    event = one_event("auditlog.exported", actor_kind="system", subject_type="accounts.firm")
    assert event.actor_id == "manage.py export_audit_log"
    assert event.firms == [{"id": trail.firm_a.pk, "code": trail.firm_a.credit_code}]
    assert event.payload == {
        "firm": trail.firm_a.pk,
        "from": "2026-11-20",
        "to": "2026-11-20",
        "first_seq": manifest["first_seq"],
        "last_seq": manifest["last_seq"],
        "events": len(trail.a_seqs),
        "redacted": manifest["redacted"],
        "masked": True,
        "sha256": digest,
    }
    assert event.seq > manifest["last_seq"]  # recorded after the checkpoint it ends at
    assert not PersonalDataAccess.objects.exists()  # nothing personal left unmasked


def test_an_unmasked_export_is_logged_as_a_personal_data_export(tmp_path, trail):
    target = tmp_path / "a.zip"
    export(
        "--firm", trail.firm_a.credit_code, "--from", "2026-11-20", "--to", "2026-11-20",
        "-o", str(target),
    )  # fmt: skip
    assert run_verifier(target).returncode == 0
    assert A_PERSON in bundle_text(target)
    logged = PersonalDataAccess.objects.order_by("subject_id")
    assert {access.subject_id for access in logged} == {
        trail.collector_a.pk,
        trail.manager_a.pk,
    }
    assert all(access.context.startswith("audit log export ") for access in logged)
    assert one_event("auditlog.exported").payload["masked"] is False
    access = one_event("personal_data.exported")
    assert access.persons == sorted([trail.collector_a.pk, trail.manager_a.pk])


def test_all_firms_exports_every_event_and_the_credit_code_may_be_lower_case(tmp_path, trail):
    everything = tmp_path / "all.zip"
    export("--all-firms", "--from", "2026-11-20", "--to", "2026-11-20", "-o", str(everything))
    assert bundle_json(everything, "manifest.json")["firm"] is None
    assert bundle_json(everything, "manifest.json")["redacted"] == 0
    assert run_verifier(everything).returncode == 0

    lower = tmp_path / "lower.zip"
    code = trail.firm_a.credit_code.lower()
    export("--firm", code, "--from", "2026-11-20", "--to", "2026-11-20", "-o", str(lower))
    assert bundle_json(lower, "manifest.json")["firm"]["id"] == trail.firm_a.pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--firm", "91310000MA1K000000"], "No firm has the credit code 91310000MA1K000000."),
        (["--from", "2026-13-01"], "--from '2026-13-01' is not a date: write it as YYYY-MM-DD."),
        (["--to", "20.11.2026"], "--to '20.11.2026' is not a date"),
        (["--from", "2026-11-21"], "--to 2026-11-20 is before --from 2026-11-21."),
        (["--from", "2026-11-01", "--to", "2026-11-02"], "No audit event of 阳光资产管理有限公司"),
        (["-o", "/nonexistent-folder/a.zip"], "The folder /nonexistent-folder does not exist."),
        # Far-off days have no valid Beijing bounds: a clear error, not an OverflowError (D4).
        (["--from", "0001-01-01"], "--from 0001-01-01: 0001-01-01 is outside 1970-01-01 to"),
        (["--from", "0001-01-01", "--to", "0001-01-02"], "--from 0001-01-01: 0001-01-01 is"),
        (
            ["--to", "9999-12-31"],
            "--to 9999-12-31: 9999-12-31 is outside 1970-01-01 to 9999-12-30.",
        ),
        (["--from", "2026-11-20\x00"], "--from '2026-11-20\\x00' is not a date"),
        (["--to", "\x00"], "--to '\\x00' is not a date"),
        (["--firm", "91310000MA1K\x00"], "is not a credit code."),
    ],
)
def test_errors_are_clear_and_write_nothing(tmp_path, trail, args, message):
    options = {
        "--firm": trail.firm_a.credit_code,
        "--from": "2026-11-20",
        "--to": "2026-11-20",
        "-o": str(tmp_path / "a.zip"),
    }
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as raised:
        export(*[item for pair in options.items() for item in pair])
    assert message in str(raised.value)
    assert list(tmp_path.iterdir()) == []
    assert AuditEvent.objects.count() == events
    assert not Checkpoint.objects.exists()


def test_it_will_not_overwrite_a_file_unless_asked(tmp_path, trail):
    target = tmp_path / "a.zip"
    target.write_bytes(b"keep me")
    args = ["--firm", trail.firm_a.credit_code, "--from", "2026-11-20", "--to", "2026-11-20"]
    with pytest.raises(CommandError, match="exists; choose another name"):
        export(*args, "-o", str(target))
    assert target.read_bytes() == b"keep me"
    export(*args, "-o", str(target), "--overwrite")
    assert run_verifier(target).returncode == 0
    assert sorted(path.name for path in Path(tmp_path).iterdir() if path.is_file()) == ["a.zip"]


def test_firm_or_all_firms_is_required(tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --firm --all-firms is required"):
        export("--from", "2026-11-20", "--to", "2026-11-20", "-o", str(tmp_path / "a.zip"))


def test_a_chain_that_does_not_verify_is_not_exported(tmp_path, trail):
    tamper_with(trail.a_seqs[1])
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=f"does not verify at event {trail.a_seqs[1]}"):
        export(
            "--firm", trail.firm_a.credit_code, "--from", "2026-11-20", "--to", "2026-11-20",
            "-o", str(tmp_path / "a.zip"),
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    assert AuditEvent.objects.count() == events
