"""The platform's signature on an export bundle (signature.json), and what the standalone verifier
refuses as tampering though the chain still links: a holder redacting their own lines, dropping
the first events and editing the manifest, adding fields, rewriting the masked data, repeating a
JSON key or a zip entry. Each bundle is checked by its own verify.py in a subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.auditlog import verifier
from lms.auditlog.export import BundleFirm, write_bundle
from lms.lib.signing_keys import current_signing_key, public_multikey

from .export_builders import (
    Trail,
    build_trail,
    bundle_json,
    bundle_lines,
    rewrite,
    run_verifier,
    write_lines,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)
CHANGED = "FAILED: the bundle was changed after the platform exported it: {}"


@pytest.fixture
def trail(monkeypatch) -> Trail:
    return build_trail(monkeypatch, DAY)


@pytest.fixture
def bundle(tmp_path, trail) -> Path:
    """Firm A's masked bundle, as a firm manager would hold it."""
    path = tmp_path / "bundle.zip"
    firm = BundleFirm(trail.firm_a.pk, trail.firm_a.credit_code, trail.firm_a.name)
    with path.open("wb") as fileobj:
        write_bundle(fileobj, start=DAY, end=DAY, masked=True, firm=firm)
    assert run_verifier(path).returncode == 0
    return path


def failed(path: Path, *args: str) -> str:
    done = run_verifier(path, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def test_the_bundle_is_signed_over_its_files_by_the_platform_key(bundle):
    signed = bundle_json(bundle, "signature.json")
    document = signed["document"]
    assert document["type"] == "SunshineAcademyAuditExport"
    assert document["key"] == current_signing_key().public_multikey
    with zipfile.ZipFile(bundle) as opened:
        for name, field in verifier.SIGNED_FILES.items():
            assert document[field] == hashlib.sha256(opened.read(name)).hexdigest(), name
    assert verifier.checkpoint_signature_valid(
        signed, [current_signing_key().public_multikey], kind=verifier.EXPORT_TYPE
    )


def test_a_holder_cannot_redact_one_of_their_own_lines(bundle, trail):
    """B1: a full line turned into a consistent redacted one still chains; the signature
    catches it."""
    target = trail.a_seqs[1]
    lines = bundle_lines(bundle)
    for index, line in enumerate(lines):
        if line["seq"] == target:
            lines[index] = {
                "seq": line["seq"],
                "redacted": True,
                "body_hash": verifier.body_hash(verifier.body_of(line)),
                "prev_hash": line["prev_hash"],
                "hash": line["hash"],
            }
    write_lines(bundle, lines)
    assert CHANGED.format("events.jsonl") in failed(bundle)


def test_a_holder_cannot_drop_the_first_events_and_edit_the_manifest(bundle, trail):
    """B2: the chain from the second event links, and the manifest says it starts there."""
    lines = bundle_lines(bundle)
    assert lines[0]["seq"] == trail.a_seqs[0]
    write_lines(bundle, lines[1:])
    manifest = bundle_json(bundle, "manifest.json")
    manifest.update(
        first_seq=lines[1]["seq"],
        firm={"id": trail.firm_b.pk, "code": trail.firm_b.credit_code, "name": "x"},
        masked=False,
        to="2026-11-21",
    )
    manifest["from"] = "2026-11-19"
    rewrite(bundle, "manifest.json", json.dumps(manifest).encode())
    assert CHANGED.format("manifest.json") in failed(bundle)


def test_editing_the_manifest_alone_is_caught(bundle):
    manifest = bundle_json(bundle, "manifest.json")
    manifest["masked"] = False
    rewrite(bundle, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    assert CHANGED.format("manifest.json") in failed(bundle)


def test_rewritten_masked_personal_data_is_caught(bundle):
    """B3: personal_masked is outside the hash; the signature covers it."""
    lines = bundle_lines(bundle)
    line = next(line for line in lines if line.get("personal_masked"))
    line["personal_masked"] = dict.fromkeys(line["personal_masked"], "李*四")
    write_lines(bundle, lines)
    assert CHANGED.format("events.jsonl") in failed(bundle)


def test_an_unknown_key_in_a_full_line_is_refused(bundle, trail):
    lines = bundle_lines(bundle)
    for line in lines:
        if line["seq"] == trail.a_seqs[0]:
            line["note"] = "the collector was on leave that day"
    write_lines(bundle, lines)
    out = failed(bundle)
    assert f"FAILED at event {trail.a_seqs[0]}: unexpected fields" in out
    assert "'note'" in out


def test_an_unknown_key_in_a_redacted_line_is_refused(bundle, trail):
    lines = bundle_lines(bundle)
    for line in lines:
        if line["seq"] == trail.b_seqs[0]:
            line["type"] = "finding.dismissed"
    write_lines(bundle, lines)
    assert f"FAILED at event {trail.b_seqs[0]}: a redacted line must have exactly" in failed(bundle)


def test_a_duplicate_json_key_in_an_event_line_is_refused(bundle, trail):
    """Python keeps the last "payload", other readers the first: neither may be trusted."""
    with zipfile.ZipFile(bundle) as opened:
        raw = opened.read("events.jsonl").decode().splitlines()
    index = next(i for i, text in enumerate(raw) if json.loads(text)["seq"] == trail.a_seqs[0])
    raw[index] = raw[index][:-1] + ', "payload": {"role": "manager"}}'
    rewrite(bundle, "events.jsonl", ("\n".join(raw) + "\n").encode())
    assert "FAILED: a JSON object has the key 'payload' twice" in failed(bundle)


def test_a_duplicate_json_key_in_the_manifest_is_refused(bundle):
    with zipfile.ZipFile(bundle) as opened:
        text = opened.read("manifest.json").decode()
    assert '"masked": true' in text
    doubled = text.replace('"masked": true', '"masked": true, "masked": false')
    rewrite(bundle, "manifest.json", doubled.encode())
    assert "FAILED: a JSON object has the key 'masked' twice" in failed(bundle)


def test_a_zip_with_two_entries_of_one_name_is_refused(bundle):
    with zipfile.ZipFile(bundle) as opened:
        events = opened.read("events.jsonl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        with zipfile.ZipFile(bundle, "a") as opened:
            opened.writestr("events.jsonl", events)
    assert "FAILED: the zip holds two entries named events.jsonl" in failed(bundle)


def test_a_bundle_without_its_signature_is_refused(bundle):
    with zipfile.ZipFile(bundle) as opened:
        files = {name: opened.read(name) for name in opened.namelist() if name != "signature.json"}
    with zipfile.ZipFile(bundle, "w") as opened:
        for name, data in files.items():
            opened.writestr(name, data)
    assert "FAILED: the bundle has no signature.json" in failed(bundle)


def test_a_forged_signature_is_refused(bundle):
    signed = bundle_json(bundle, "signature.json")
    signed["signature"] = "00" * 64
    rewrite(bundle, "signature.json", json.dumps(signed).encode())
    assert "FAILED: the bundle's signature.json is not a valid signature by a trusted key" in (
        failed(bundle)
    )


def test_a_bundle_re_signed_with_another_key_fails_against_the_platform_key(bundle, trail):
    """Someone who changes the files and signs them with a key of their own (listing it in
    public_keys.json) is caught by --key, and shows up as a second signer without it."""
    forger = Ed25519PrivateKey.generate()
    forger_key = public_multikey(forger.public_key())
    platform_key = current_signing_key().public_multikey
    keys = [{"publicKeyMultibase": platform_key}, {"publicKeyMultibase": forger_key}]
    rewrite(bundle, "public_keys.json", json.dumps(keys).encode())
    with zipfile.ZipFile(bundle) as opened:
        digests = {
            field: hashlib.sha256(opened.read(name)).hexdigest()
            for name, field in verifier.SIGNED_FILES.items()
        }
    document = {"type": verifier.EXPORT_TYPE, **digests, "key": forger_key, "time": "x"}
    signed = {
        "document": document,
        "signature": forger.sign(verifier.canonical_json(document)).hex(),
    }
    rewrite(bundle, "signature.json", json.dumps(signed).encode())

    done = run_verifier(bundle)
    assert done.returncode == 0  # the bundle's own key list trusts the forger ...
    assert f"signed by {forger_key}" in done.stdout  # ... who is named for the reader to see
    out = failed(bundle, "--key", platform_key)
    assert "not a valid signature by a trusted key" in out
