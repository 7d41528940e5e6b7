"""Export bundles (lms.auditlog.export): what they hold, and the standalone verifier, run in a
subprocess on the bundle alone, accepting them and catching every kind of tampering."""

from __future__ import annotations

import ast
import datetime as dt
import json
import sys
import zipfile
from pathlib import Path

import pytest
from django.db import transaction

from lms.auditlog import chain, verifier
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.export import (
    BundleFirm,
    NoCheckpoint,
    NothingToExport,
    mask_personal,
    write_bundle,
)
from lms.auditlog.models import AuditEvent, Checkpoint
from lms.lib.signing_keys import current_signing_key

from .export_builders import (
    A_EMAIL,
    A_NOTE,
    A_PERSON,
    B_EMAIL,
    B_LABEL,
    B_NAME,
    B_PAYLOAD,
    B_PERSON,
    B_PHONE,
    Trail,
    beijing,
    build_trail,
    bundle_json,
    bundle_lines,
    bundle_text,
    record_at,
    rewrite,
    run_verifier,
    tamper_with,
    write_lines,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)


@pytest.fixture
def trail(monkeypatch) -> Trail:
    return build_trail(monkeypatch, DAY)


def export(
    tmp_path: Path,
    trail: Trail | None,
    *,
    masked: bool,
    name: str = "bundle.zip",
    start: dt.date = DAY,
    end: dt.date = DAY,
) -> Path:
    path = tmp_path / name
    firm = None
    if trail is not None:
        firm = BundleFirm(trail.firm_a.pk, trail.firm_a.credit_code, trail.firm_a.name)
    with path.open("wb") as fileobj:
        write_bundle(fileobj, start=start, end=end, masked=masked, firm=firm)
    return path


# --- A bundle verifies --------------------------------------------------------------------------


def test_a_firm_bundle_verifies_with_the_standalone_script_in_a_subprocess(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)

    done = run_verifier(path)

    lines = bundle_lines(path)
    full = [line["seq"] for line in lines if not line.get("redacted")]
    assert full == trail.a_seqs
    redacted = len(lines) - len(full)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"OK: {len(lines)} events ({len(full)} in full, {redacted} redacted), "
        f"sequence {trail.a_seqs[0]} to {lines[-1]['seq']}, and 1 checkpoints verified"
    ) in done.stdout
    assert f"signed by {current_signing_key().public_multikey}" in done.stdout


def test_the_manifest_says_what_was_exported(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    manifest = bundle_json(path, "manifest.json")
    lines = bundle_lines(path)
    assert manifest["format"] == verifier.BUNDLE_FORMAT == "sunshine-academy-audit-export/1"
    assert manifest["firm"] == {
        "id": trail.firm_a.pk,
        "code": trail.firm_a.credit_code,
        "name": trail.firm_a.name,
    }
    assert (manifest["from"], manifest["to"]) == ("2026-11-20", "2026-11-20")
    assert manifest["masked"] is True
    assert manifest["first_seq"] == lines[0]["seq"] == trail.a_seqs[0]
    assert manifest["last_seq"] == lines[-1]["seq"]
    assert manifest["events"] == len(trail.a_seqs)
    assert manifest["redacted"] == len(lines) - len(trail.a_seqs)
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == [
            "README.txt",
            "checkpoints.json",
            "events.jsonl",
            "manifest.json",
            "public_keys.json",
            "signature.json",
            "verify.py",
        ]
        assert bundle.read("verify.py") == Path(verifier.__file__).read_bytes()
    assert bundle_json(path, "public_keys.json") == [
        {"publicKeyMultibase": current_signing_key().public_multikey}
    ]


def test_a_whole_platform_bundle_has_every_event_in_full_and_verifies(tmp_path, trail):
    path = export(tmp_path, None, masked=False)
    lines = bundle_lines(path)
    assert [line["seq"] for line in lines] == list(range(1, AuditEvent.objects.count() + 1))
    assert not any(line.get("redacted") for line in lines)
    assert run_verifier(path).returncode == 0


def test_the_span_ends_at_the_first_checkpoint_after_the_last_selected_event(
    tmp_path, trail, monkeypatch
):
    first_checkpoint = take_checkpoint().checkpoint  # covers the whole trail
    later = record_at(None, monkeypatch, "regulations.loaded", payload={"n": 1})
    take_checkpoint()

    path = export(tmp_path, trail, masked=True)

    lines = bundle_lines(path)
    assert lines[-1]["seq"] == first_checkpoint.seq < later
    assert [cp["document"]["seq"] for cp in bundle_json(path, "checkpoints.json")] == [
        first_checkpoint.seq
    ]
    assert Checkpoint.objects.count() == 2  # none was taken for the export
    assert run_verifier(path).returncode == 0


def test_a_checkpoint_is_signed_when_none_covers_the_range_yet(tmp_path, trail):
    assert not Checkpoint.objects.exists()
    path = export(tmp_path, trail, masked=True)
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.seq == AuditEvent.objects.order_by("-seq").first().seq
    assert bundle_json(path, "checkpoints.json") == [checkpoint.as_published()]


def test_days_are_beijing_days_with_both_ends_included(tmp_path, trail, monkeypatch):
    firm = trail.firm_a
    kwargs = {"firms": [firm], "payload": {}}
    late = record_at(
        beijing(DAY + dt.timedelta(days=1), 23, 59), monkeypatch, "regulations.loaded", **kwargs
    )
    next_day = record_at(
        beijing(DAY + dt.timedelta(days=2), 0, 1), monkeypatch, "regulations.loaded", **kwargs
    )
    # 23:59 in Beijing is 15:59 UTC the same day; 00:01 is 16:01 UTC the day before.
    path = export(tmp_path, trail, masked=True, end=DAY + dt.timedelta(days=1))
    full = [line["seq"] for line in bundle_lines(path) if not line.get("redacted")]
    assert full == [*trail.a_seqs, late]
    assert next_day not in full
    assert run_verifier(path).returncode == 0


def test_nothing_to_export_raises_and_signs_nothing(tmp_path, trail):
    with pytest.raises(NothingToExport):
        export(
            tmp_path,
            trail,
            masked=True,
            start=DAY - dt.timedelta(days=3),
            end=DAY - dt.timedelta(days=1),
        )
    assert not Checkpoint.objects.exists()


# --- Masking and what a firm's bundle shows ----------------------------------------------------


def test_a_masked_bundle_verifies_and_shows_no_personal_data(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    assert run_verifier(path).returncode == 0
    text = bundle_text(path)
    for secret in (
        A_PERSON,
        A_EMAIL,
        A_NOTE,
        "赵经理",
        "13812345678",
        "203.0.113.77",
        "李联系",
        "Android",
    ):
        assert secret not in text, secret
    lines = {line["seq"]: line for line in bundle_lines(path)}
    finding, membership, sign_in = (lines[seq] for seq in trail.a_seqs)
    assert all("personal" not in line for line in lines.values())
    assert finding["personal_masked"] == {
        "actor": "赵*理 <b***@agency.example>",
        "persons": {str(trail.collector_a.pk): "张*三 <z************@agency.example>"},
        "description": "***",
    }
    assert membership["personal_masked"]["subject"] == "张*三 <z************@agency.example>"
    assert sign_in["personal_masked"] == {
        "actor": "赵*理 <b***@agency.example>",
        "subject": "赵*理 <b***@agency.example>",
        "ip": "203.0.*.*",
        "user_agent": "***",
        "phone": "138****5678",
        "contact_name": "李*系",
        "email": "c******@agency.example",
    }
    assert finding["personal_digest"]  # the chain still covers the digest


def test_an_unmasked_bundle_carries_personal_data_that_matches_its_digest(tmp_path, trail):
    path = export(tmp_path, trail, masked=False)
    line = next(x for x in bundle_lines(path) if x["seq"] == trail.a_seqs[0])
    assert line["personal"]["description"] == A_NOTE
    assert "salt" in line["personal"]
    assert "personal_masked" not in line
    assert run_verifier(path).returncode == 0


def test_a_firm_bundle_leaks_no_other_firms_content(tmp_path, trail):
    for masked in (True, False):
        path = export(tmp_path, trail, masked=masked, name=f"{masked}.zip")
        text = bundle_text(path)
        for secret in (
            B_NAME,
            B_PERSON,
            B_EMAIL,
            B_LABEL,
            B_PAYLOAD,
            B_PHONE,
            trail.firm_b.credit_code,
            "2026 library",
        ):
            assert secret not in text, (masked, secret)
        for line in bundle_lines(path):
            if line.get("redacted"):
                assert set(line) == {"seq", "redacted", "body_hash", "prev_hash", "hash"}
            else:
                assert [firm["id"] for firm in line["firms"]] == [trail.firm_a.pk]
        redacted = [x["seq"] for x in bundle_lines(path) if x.get("redacted")]
        assert set(trail.b_seqs + trail.platform_seqs) <= set(redacted)


def test_masking_keeps_shapes_and_drops_the_salt():
    masked = mask_personal(
        {
            "salt": "ab" * 16,
            "persons": {"7": "John Smith <john@example.com>", "8": "欧阳小明"},
            "mobile": "+8613812345678",
            "ip": "2001:db8::1",
            "score": 7,
            "nothing": None,
            "reasons": ["told them", "again"],
        }
    )
    assert masked == {
        "persons": {"7": "J*** S*** <j***@example.com>", "8": "欧**明"},
        "mobile": "+86138****5678",
        "ip": "2001:db8:***",
        "score": "***",
        "nothing": None,
        "reasons": ["***", "***"],
    }


# --- Tampering with a bundle ---------------------------------------------------------------------


def _edit(lines: list[dict], seq: int, change) -> list[dict]:
    for line in lines:
        if line["seq"] == seq:
            change(line)
    return lines


@pytest.mark.parametrize("masked", [True, False])
def test_an_edited_event_fails_at_its_seq(tmp_path, trail, masked):
    path = export(tmp_path, trail, masked=masked)
    target = trail.a_seqs[1]
    write_lines(
        path, _edit(bundle_lines(path), target, lambda line: line["payload"].update(role="manager"))
    )
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {target}: hash does not match" in done.stdout


def test_edited_personal_data_fails_at_its_seq(tmp_path, trail):
    path = export(tmp_path, trail, masked=False)
    target = trail.a_seqs[0]
    write_lines(
        path,
        _edit(
            bundle_lines(path), target, lambda line: line["personal"].update(description="没有此事")
        ),
    )
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {target}: personal data does not match" in done.stdout


def test_a_deleted_event_fails_at_its_seq(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    target = trail.a_seqs[1]
    write_lines(path, [line for line in bundle_lines(path) if line["seq"] != target])
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {target}:" in done.stdout


def test_two_swapped_events_fail_at_the_first(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    lines = bundle_lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(path, lines)
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {lines[2]['seq']}:" in done.stdout


def test_a_forged_redacted_line_fails_at_its_seq(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    target = trail.b_seqs[0]
    write_lines(
        path, _edit(bundle_lines(path), target, lambda line: line.update(body_hash="0" * 64))
    )
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {target}:" in done.stdout


def test_a_recomputed_chain_is_caught_by_the_checkpoint(tmp_path, trail):
    """An attacker who edits an event and recomputes every later hash still cannot sign."""
    path = export(tmp_path, trail, masked=True)
    lines = bundle_lines(path)
    target = trail.a_seqs[1]
    prev = None
    for line in lines:
        if prev is not None:
            line["prev_hash"] = prev
        if line["seq"] == target:
            line["payload"]["role"] = "manager"
        digest = (
            line["body_hash"]
            if line.get("redacted")
            else verifier.body_hash(verifier.body_of(line))
        )
        line["hash"] = prev = verifier.link_hash(digest, line["prev_hash"])
    write_lines(path, lines)
    done = run_verifier(path)
    assert done.returncode == 1
    last = lines[-1]["seq"]
    assert f"FAILED at event {last}: chain differs from the signed checkpoint" in done.stdout


def test_a_forged_signature_or_an_untrusted_key_fails(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    checkpoints = bundle_json(path, "checkpoints.json")
    seq = checkpoints[0]["document"]["seq"]

    other_key = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    done = run_verifier(path, "--key", other_key)
    assert done.returncode == 1
    assert f"FAILED at event {seq}: checkpoint signature invalid" in done.stdout
    assert run_verifier(path, "--key", current_signing_key().public_multikey).returncode == 0

    checkpoints[0]["signature"] = "00" * 64
    rewrite(path, "checkpoints.json", json.dumps(checkpoints).encode())
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {seq}: checkpoint signature invalid" in done.stdout


def test_a_bundle_without_its_checkpoint_fails(tmp_path, trail):
    path = export(tmp_path, trail, masked=True)
    rewrite(path, "checkpoints.json", b"[]")
    done = run_verifier(path)
    assert done.returncode == 1
    assert "no signed checkpoint vouches for the last event" in done.stdout


def test_kept_checkpoints_that_disagree_fail(tmp_path, trail, monkeypatch):
    """A reader who kept the public checkpoints catches a history rewritten since."""
    key = current_signing_key()
    seq = trail.a_seqs[1]
    document = {
        "type": verifier.CHECKPOINT_TYPE,
        "seq": seq,
        "hash": "f" * 64,
        "time": "2026-11-20T05:00:00.000000Z",
        "key": key.public_multikey,
    }
    forged = {
        "document": document,
        "signature": key.private_key.sign(verifier.canonical_json(document)).hex(),
    }
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({"checkpoints": [forged]}))
    path = export(tmp_path, trail, masked=True)
    done = run_verifier(path, "--checkpoints", str(kept))
    assert done.returncode == 1
    assert f"FAILED at event {seq}: chain differs from the signed checkpoint" in done.stdout

    true_hash = AuditEvent.objects.get(seq=seq).hash
    document["hash"] = true_hash
    forged["signature"] = key.private_key.sign(verifier.canonical_json(document)).hex()
    kept.write_text(json.dumps([forged]))
    done = run_verifier(path, "--checkpoints", str(kept))
    assert done.returncode == 0, done.stdout
    assert "and 2 checkpoints verified" in done.stdout


def test_an_unreadable_file_exits_2(tmp_path):
    path = tmp_path / "not-a-bundle.zip"
    path.write_bytes(b"hello")
    done = run_verifier(path)
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_a_tampered_database_row_makes_the_bundle_fail_at_that_seq(tmp_path, trail):
    """The exporter does not launder an edited row: the bundle it writes fails there."""
    take_checkpoint()
    target = trail.a_seqs[1]
    tamper_with(target)
    path = export(tmp_path, trail, masked=True)
    done = run_verifier(path)
    assert done.returncode == 1
    assert f"FAILED at event {target}:" in done.stdout


def test_no_checkpoint_is_signed_over_a_tampered_row_and_nothing_is_exported(tmp_path, trail):
    tamper_with(trail.a_seqs[1])
    with pytest.raises(NoCheckpoint, match=f"does not verify at event {trail.a_seqs[1]}"):
        export(tmp_path, trail, masked=True)
    assert not Checkpoint.objects.exists()


# --- The verifier stays standalone ---------------------------------------------------------------


def test_the_verifier_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(Path(verifier.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_an_event_recorded_with_every_field_round_trips_through_a_bundle(
    tmp_path, monkeypatch, collector
):
    with transaction.atomic():
        chain.record(
            "regulations.loaded",
            subject=collector,
            actor="nightly",
            persons=[collector],
            payload={"when": dt.date(2026, 1, 2), "nested": {"list": [1, "二", None]}},
        )
    path = export(tmp_path, None, masked=False, start=dt.date(2000, 1, 1), end=dt.date(2100, 1, 1))
    assert run_verifier(path).returncode == 0
