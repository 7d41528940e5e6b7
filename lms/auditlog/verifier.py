#!/usr/bin/env python3
"""Verify a Sunshine Academy audit-log export with nothing but Python and ``cryptography``.

This file is deliberately standalone: it imports only the standard library and ``cryptography``
(``pip install cryptography``), so a regulator can check an export bundle on their own machine
without installing the platform. The platform itself verifies its database with the same
functions (``python manage.py verify_audit_log``), so there is one definition of "valid".

Usage::

    python verify.py audit-export.zip   # exit 0 valid, 1 the first bad event, 2 unusable
    python verify.py --key z6Mk... audit-export.zip          # trust only this public key
    python verify.py --checkpoints kept.json audit-export.zip  # also match checkpoints you kept

How the chain is built (see README "Audit log"):

* Each event's *body* is a JSON object (``v``, ``seq``, ``time``, ``type``, ``actor``,
  ``subject``, ``firms``, ``persons``, ``request_id``, ``payload``, ``personal_digest``).
  ``body_hash = SHA-256(JCS(body))`` where JCS is RFC 8785 canonical JSON.
* ``hash = SHA-256(JCS({"body_hash": body_hash, "prev_hash": prev_hash}))``; the first event's
  ``prev_hash`` is 64 zeros. Hashes are lower-case hex.
* Personal data (names, emails) is kept out of the body: the body holds ``personal_digest``,
  ``SHA-256(JCS(personal))`` of a salted object, so an export can mask it and still verify.
* An event of another firm appears in a firm's export *redacted*: only ``seq``, ``body_hash``,
  ``prev_hash`` and ``hash``, which is enough to carry the chain through it.
* A checkpoint is ``{"document": {"type", "seq", "hash", "time", "key"}, "signature": hex}``:
  an Ed25519 signature over ``JCS(document)`` by the platform key ``key`` (a ``z6Mk…``
  Multikey), asserting that event ``seq`` has hash ``hash``.
* A bundle carries ``signature.json``: ``{"document": {"type": "SunshineAcademyAuditExport",
  "manifest_sha256", "events_sha256", "checkpoints_sha256", "public_keys_sha256", "key",
  "time"}, "signature": hex}``, the platform's Ed25519 signature over ``JCS(document)``. It
  vouches for the bytes of those four files as the platform wrote them — the manifest (firm,
  dates, span, masking), every line (full or redacted, masked or not) — so a holder cannot
  redact, drop or rewrite anything before passing the bundle on.

Anything a bundle could hide data in is refused: a duplicate key in any JSON object, a key an
event line does not have, two zip entries of the same name.

Event content never contains floating-point numbers (scores are strings) and its keys are ASCII,
so the canonical form below is exactly RFC 8785 for every event the platform writes; anything
else is refused rather than guessed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
CHECKPOINT_TYPE = "SunshineAcademyAuditCheckpoint"
EXPORT_TYPE = "SunshineAcademyAuditExport"
# The files signature.json vouches for, and the document field holding each one's SHA-256.
SIGNED_FILES = {
    "manifest.json": "manifest_sha256",
    "events.jsonl": "events_sha256",
    "checkpoints.json": "checkpoints_sha256",
    "public_keys.json": "public_keys_sha256",
}
BUNDLE_FORMAT = "sunshine-academy-audit-export/1"
BODY_FIELDS = (
    "v",
    "seq",
    "time",
    "type",
    "actor",
    "subject",
    "firms",
    "persons",
    "request_id",
    "payload",
    "personal_digest",
)
# The keys an exported event line may have: the body and the chain, plus the personal part in
# full or masked (neither hashed); a redacted line has exactly REDACTED_FIELDS.
LINE_FIELDS = frozenset(BODY_FIELDS) | {"prev_hash", "hash"}
PERSONAL_FIELDS = frozenset({"personal", "personal_masked"})
REDACTED_FIELDS = frozenset({"seq", "redacted", "body_hash", "prev_hash", "hash"})
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PUBLIC_PREFIX = b"\xed\x01"


class NotCanonicalisable(ValueError):
    """A value outside the JSON subset events use (floats, non-string keys, lone surrogates)."""


_MAX_EXACT_INT = 2**53 - 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Reused: json.dumps with non-default arguments builds a new encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check(value: object) -> None:
    """Refuse anything outside the subset (see :class:`NotCanonicalisable`).

    By exact type first: a million events are checked in a verification, and the values
    decoded from JSON are always plain ``dict``, ``list``, ``str``, ``int``, ``bool`` or
    ``None``. Subclasses (an ``IntEnum``, a ``str`` subclass) take the slower ``isinstance``
    path with the same rules. Lone surrogates are found when the canonical text is encoded
    (:func:`canonical_json`).
    """
    kind = type(value)
    if kind is dict:
        _check_dict(value)  # type: ignore[arg-type]
    elif kind is list:
        _check_list(value)  # type: ignore[arg-type]
    elif kind is int:
        if not -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:  # type: ignore[operator]
            raise NotCanonicalisable("an integer outside JSON's exact range")
    elif not (kind is str or kind is bool or value is None):
        _check_subclass(value)


def _check_dict(mapping: dict) -> None:
    try:
        ascii_keys = "".join(mapping).isascii()
    except TypeError:  # a key that is not a string
        ascii_keys = False
    if not ascii_keys:
        for key in mapping:
            _check_key(key)
    for item in mapping.values():
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            _check_dict(item)
        elif kind is list:
            _check_list(item)
        else:
            _check(item)


def _check_list(items: list) -> None:
    if items and all(type(item) is int for item in items):
        # A list of ids (an event's persons: thousands, for a rating recompute's chunk).
        if not -_MAX_EXACT_INT <= min(items) <= max(items) <= _MAX_EXACT_INT:
            raise NotCanonicalisable("an integer outside JSON's exact range")
        return
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict:
            _check_dict(item)
        elif kind is list:
            _check_list(item)
        else:
            _check(item)


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.isascii():
        raise NotCanonicalisable(f"a key that is not an ASCII string: {key!r}")


def _check_subclass(value: object) -> None:
    if isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_EXACT_INT:
            raise NotCanonicalisable("an integer outside JSON's exact range")
        return
    if isinstance(value, list):
        for item in value:
            _check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_key(key)
            _check(item)
        return
    raise NotCanonicalisable(f"a {type(value).__name__} (events hold no floats or other types)")


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JCS) for the subset events use: null, booleans, integers, strings, arrays,
    objects with ASCII keys. For these, sorted keys, no whitespace and ECMAScript string
    escaping are exactly what ``json.dumps(sort_keys=True, ensure_ascii=False)`` writes."""
    _check(value)
    try:
        return _ENCODER.encode(value).encode()
    except UnicodeEncodeError:
        raise NotCanonicalisable("a string holds a lone surrogate") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_of(event: dict) -> dict:
    """The hashed fields of an event record (an exported line or a database row)."""
    return {name: event[name] for name in BODY_FIELDS}


def body_hash(body: dict) -> str:
    return sha256_hex(canonical_json(body))


def link_hash(body_hash_hex: str, prev_hash: str) -> str:
    """An event's hash: its body's hash chained to the previous event's hash."""
    if (
        type(body_hash_hex) is str
        and type(prev_hash) is str
        and _HEX64.fullmatch(body_hash_hex)
        and _HEX64.fullmatch(prev_hash)
    ):
        # Two hex strings: their canonical object, written out directly (the common case).
        text = f'{{"body_hash":"{body_hash_hex}","prev_hash":"{prev_hash}"}}'
        return sha256_hex(text.encode())
    return sha256_hex(canonical_json({"body_hash": body_hash_hex, "prev_hash": prev_hash}))


def personal_digest(personal: dict) -> str:
    return sha256_hex(canonical_json(personal))


# --- Keys and checkpoints -------------------------------------------------------------------------


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not base58: {char!r}")
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading + raw


def public_key_from_multikey(multikey: str) -> Ed25519PublicKey:
    """A ``z6Mk…`` Ed25519 public Multikey (multibase base58btc of 0xed01 + 32 bytes)."""
    if not multikey.startswith("z"):
        raise ValueError("a public Multikey starts with 'z'")
    data = _b58decode(multikey[1:])
    if len(data) != 34 or not data.startswith(_ED25519_PUBLIC_PREFIX):
        raise ValueError("not an Ed25519 public Multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def checkpoint_signature_valid(
    checkpoint: dict, trusted_keys: Iterable[str], *, kind: str = CHECKPOINT_TYPE
) -> bool:
    """Whether ``checkpoint`` (or another signed document of type ``kind``) is signed by one
    of ``trusted_keys`` (public Multikeys)."""
    if not isinstance(checkpoint, dict):
        return False
    document = checkpoint.get("document") or {}
    if not isinstance(document, dict):
        return False
    key = document.get("key")
    if document.get("type") != kind or not isinstance(key, str) or key not in set(trusted_keys):
        return False
    try:
        signature = bytes.fromhex(checkpoint.get("signature") or "")
        public_key_from_multikey(key).verify(signature, canonical_json(document))
    except (InvalidSignature, ValueError, NotCanonicalisable):
        return False
    return True


# --- The chain ------------------------------------------------------------------------------------


@dataclass
class Result:
    """What a verification found: counts, or the first sequence number that does not match."""

    events: int = 0
    redacted: int = 0
    checkpoints: int = 0
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    hashes: dict[int, str] = field(default_factory=dict, repr=False)
    # The public keys whose signatures were checked (a reader compares them with the published).
    signers: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and not self.problem

    def fail(self, seq: int | None, problem: str) -> Result:
        if self.ok:
            self.first_bad_seq, self.problem = seq, problem
        return self


def verify_chain(
    events: Iterable[dict],
    *,
    start_prev_hash: str | None = GENESIS_HASH,
    start_seq: int = 1,
    keep_hashes: Iterable[int] = (),
) -> Result:
    """Recompute the chain over ``events`` (in order) and stop at the first that does not match.

    ``start_prev_hash`` None accepts the first event's ``prev_hash`` as given (an export that
    starts mid-chain: the checkpoint after it vouches for it). ``keep_hashes`` names the
    sequence numbers whose hashes the checkpoints need.
    """
    wanted = set(keep_hashes)
    result = Result()
    expected_seq, prev = start_seq, start_prev_hash
    for event in events:
        seq = event.get("seq")
        if seq != expected_seq:
            # A deleted or reordered row: the first position where the sequence breaks.
            return result.fail(expected_seq, f"expected event {expected_seq}, found {seq}")
        if prev is not None and event.get("prev_hash") != prev:
            return result.fail(seq, "prev_hash does not match the previous event")
        try:
            if event.get("redacted"):
                digest = event["body_hash"]
            else:
                if event.get("v") != FORMAT_VERSION:
                    return result.fail(seq, f"unknown event format {event.get('v')!r}")
                digest = body_hash(body_of(event))
                personal = event.get("personal")
                if personal is not None and personal_digest(personal) != event["personal_digest"]:
                    return result.fail(seq, "personal data does not match its digest")
            computed = link_hash(digest, event["prev_hash"])
        except (KeyError, TypeError, NotCanonicalisable) as error:
            return result.fail(seq, f"malformed event: {error}")
        if computed != event.get("hash"):
            return result.fail(seq, "hash does not match the event's content")
        if seq in wanted:
            result.hashes[seq] = computed
        result.events += 1
        result.redacted += 1 if event.get("redacted") else 0
        result.head_seq, result.head_hash = seq, computed
        expected_seq, prev = seq + 1, computed
    return result


def check_checkpoints(
    result: Result, checkpoints: Iterable[dict], trusted_keys: list[str]
) -> Result:
    """Each checkpoint must be validly signed and name a hash the chain actually has."""
    for checkpoint in checkpoints:
        document = checkpoint.get("document") or {}
        seq = document.get("seq")
        if not checkpoint_signature_valid(checkpoint, trusted_keys):
            return result.fail(
                seq if isinstance(seq, int) else None, "checkpoint signature invalid"
            )
        if seq not in result.hashes:
            return result.fail(seq, "checkpoint names an event outside the verified chain")
        if result.hashes[seq] != document.get("hash"):
            return result.fail(seq, "chain differs from the signed checkpoint")
        result.checkpoints += 1
        result.signers.add(document["key"])
    return result


# --- Export bundles -------------------------------------------------------------------------------


class Rejected(ValueError):
    """The bundle holds something the platform never writes (a duplicate key, an unknown field,
    a duplicate zip entry): refused as tampering, not read past."""

    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.seq = seq


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    mapping: dict = {}
    for key, value in pairs:
        if key in mapping:
            raise Rejected(f"a JSON object has the key {key!r} twice")
        mapping[key] = value
    return mapping


def loads(data: bytes | str) -> Any:
    """JSON as the platform writes it: an object with a key twice is refused (JSON readers
    disagree on which value wins, so a second value could hide from one of them)."""
    return json.loads(data, object_pairs_hook=_unique_keys)


def _check_line_fields(event: object) -> dict:
    if not isinstance(event, dict):
        raise Rejected("an event line is not a JSON object")
    seq = event.get("seq") if isinstance(event.get("seq"), int) else None
    keys = set(event)
    if "redacted" in event:
        if event["redacted"] is not True or keys != REDACTED_FIELDS:
            raise Rejected(
                f"a redacted line must have exactly {sorted(REDACTED_FIELDS)}, not {sorted(keys)}",
                seq,
            )
    else:
        unknown = keys - LINE_FIELDS - PERSONAL_FIELDS
        missing = LINE_FIELDS - keys
        if unknown or missing or PERSONAL_FIELDS <= keys:
            raise Rejected(
                f"unexpected fields in an event line (unknown {sorted(unknown)}, missing "
                f"{sorted(missing)}; at most one of personal and personal_masked)",
                seq,
            )
    return event


def _jsonl(lines: Iterable[bytes]) -> Iterator[dict]:
    for line in lines:
        if line.strip():
            yield _check_line_fields(loads(line))


def _kept_checkpoints(path: str) -> list[dict]:
    """Checkpoints the reader saved earlier: a JSON list, or an object with "checkpoints"."""
    with open(path, "rb") as handle:
        data = loads(handle.read())
    checkpoints = data.get("checkpoints") if isinstance(data, dict) else data
    if not isinstance(checkpoints, list):
        raise ValueError(f"{path} holds no list of checkpoints")
    return [cp for cp in checkpoints if isinstance(cp, dict)]


def _file_sha256(bundle: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with bundle.open(name) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_bundle_signature(
    bundle: zipfile.ZipFile, signed: Any, trusted_keys: list[str], result: Result
) -> Result:
    """``signature.json`` must be the platform's valid signature by a trusted key, and every
    signed file must still have the SHA-256 it names."""
    if not checkpoint_signature_valid(signed, trusted_keys, kind=EXPORT_TYPE):
        return result.fail(
            None, "the bundle's signature.json is not a valid signature by a trusted key"
        )
    document = signed["document"]
    for name, field_name in SIGNED_FILES.items():
        if _file_sha256(bundle, name) != document.get(field_name):
            return result.fail(
                None, f"the bundle was changed after the platform exported it: {name}"
            )
    result.signers.add(document["key"])
    return result


def verify_bundle(
    path: str, *, trusted_keys: list[str] | None = None, kept: Iterable[dict] = ()
) -> Result:
    """Verify an export bundle (a zip with manifest.json, events.jsonl, checkpoints.json,
    public_keys.json and signature.json): every event chains to the next, a signed checkpoint
    at or after the last event vouches for the whole run, and the platform's signature vouches
    for the files as it wrote them (the manifest's firm, dates and masking included).

    ``trusted_keys``: the public Multikeys the reader trusts (default: the bundle's own
    public_keys.json, which the reader should compare with the platform's published key).
    ``kept``: checkpoints the reader saved earlier (e.g. from the platform's public list);
    those within the bundle's span must be validly signed and match the chain too.
    """
    try:
        return _verify_bundle(path, trusted_keys=trusted_keys, kept=kept)
    except Rejected as rejected:
        return Result().fail(rejected.seq, str(rejected))


def _verify_bundle(path: str, *, trusted_keys: list[str] | None, kept: Iterable[dict]) -> Result:
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        if len(names) != len(set(names)):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise Rejected(f"the zip holds two entries named {duplicate}")
        manifest = loads(bundle.read("manifest.json"))
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else manifest
            return Result().fail(None, f"not an audit export: {found!r}")
        checkpoints = loads(bundle.read("checkpoints.json"))
        keys = [key["publicKeyMultibase"] for key in loads(bundle.read("public_keys.json"))]
        if trusted_keys is not None:
            keys = list(trusted_keys)
        if "signature.json" not in names:
            return Result().fail(None, "the bundle has no signature.json: it is not as exported")
        signed = loads(bundle.read("signature.json"))
        if not isinstance(checkpoints, list):
            raise Rejected("checkpoints.json is not a list")
        first, last = manifest["first_seq"], manifest["last_seq"]
        kept = [
            cp
            for cp in kept
            if isinstance(cp.get("document"), dict)
            and isinstance(cp["document"].get("seq"), int)
            and first <= cp["document"]["seq"] <= last
        ]
        seqs = [
            cp["document"]["seq"]
            for cp in [*checkpoints, *kept]
            if isinstance(cp.get("document"), dict)
        ]
        with bundle.open("events.jsonl") as lines:
            result = verify_chain(
                _jsonl(lines),
                start_prev_hash=None,
                start_seq=first,
                keep_hashes=seqs,
            )
        if not result.ok:
            return result
        if result.head_seq != last:
            return result.fail(result.head_seq + 1, "the bundle ends before its manifest says")
        check_checkpoints(result, [*checkpoints, *kept], keys)
        bundled = [
            cp["document"]["seq"] for cp in checkpoints if isinstance(cp.get("document"), dict)
        ]
        if result.ok and result.head_seq not in bundled:
            result.fail(result.head_seq, "no signed checkpoint vouches for the last event")
        if result.ok:
            check_bundle_signature(bundle, signed, keys, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify.py",
        description="Verify a Sunshine Academy audit-log export bundle offline.",
    )
    parser.add_argument("bundle", help="the export (.zip)")
    parser.add_argument(
        "--key",
        action="append",
        metavar="z6Mk...",
        help="a public key you trust (repeatable); default: the bundle's public_keys.json",
    )
    parser.add_argument(
        "--checkpoints",
        metavar="FILE",
        help="checkpoints you kept earlier (JSON list, or the platform's published list)",
    )
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 2
    try:
        kept = _kept_checkpoints(args.checkpoints) if args.checkpoints else []
        result = verify_bundle(args.bundle, trusted_keys=args.key, kept=kept)
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as error:
        print(f"cannot read {args.bundle}: {error}", file=sys.stderr)
        return 2
    if result.ok:
        full = result.events - result.redacted
        print(
            f"OK: {result.events} events ({full} in full, {result.redacted} redacted), "
            f"sequence {result.head_seq - result.events + 1} to {result.head_seq}, "
            f"and {result.checkpoints} checkpoints verified"
        )
        for key in sorted(result.signers):
            print(f"signed by {key}")
        return 0
    if result.first_bad_seq is None:
        print(f"FAILED: {result.problem}")
    else:
        print(f"FAILED at event {result.first_bad_seq}: {result.problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
