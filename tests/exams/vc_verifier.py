"""An independent verifier of the site's credentials, written from the W3C specifications.

It deliberately shares no code with ``exams.certificates`` (that is what it checks): it follows
"Data Integrity EdDSA Cryptosuites v1.0" §3.3.2 (verify an ``eddsa-jcs-2022`` proof),
"Controlled Identifiers v1.0" (Multikey: ``z`` + base58btc(0xed01 + key)), "Verifiable
Credentials Data Model v2.0" §4.9 (``validFrom``/``validUntil``) and §4.10 (one status entry or a
set), and "Bitstring Status List v1.0" §3.2 (validate a status entry: revocation, suspension),
using only ``rfc8785`` (JCS) and ``cryptography`` (Ed25519).

Documents are fetched through a ``fetch(url) -> dict`` callable, so tests resolve URLs with the
Django test client and nothing leaves the machine.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Fetch = Callable[[str], dict]
MIN_STATUS_LIST_BITS = 131_072
# Tolerated difference between the issuer's clock and ours for "not yet valid" checks: a status
# list is signed when it is fetched, possibly a moment after this verifier read its clock.
CLOCK_SKEW = timedelta(minutes=1)


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    revoked: bool | None = None
    # None when the credential has no suspension entry, else whether its bit is set.
    suspended: bool | None = None

    @property
    def verified(self) -> bool:
        return not self.problems


def parse_datetime(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def multikey_public_key(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ValueError("publicKeyMultibase is not base58btc")
    raw = base58.b58decode(value[1:])
    if len(raw) != 34 or raw[:2] != b"\xed\x01":
        raise ValueError("publicKeyMultibase is not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def resolve_verification_method(url: str, fetch: Fetch) -> dict:
    """Dereference the verification method URL: the document without the fragment, then the
    object whose ``id`` is the full URL."""
    document = fetch(url.split("#", 1)[0])
    if document.get("id") == url:
        return document
    for method in document.get("verificationMethod", []):
        if isinstance(method, dict) and method.get("id") == url:
            return method
    raise ValueError(f"{url} does not resolve to a verification method")


def proof_problems(secured: dict, fetch: Fetch, now: datetime) -> list[str]:
    """Verify the document's single eddsa-jcs-2022 proof; an empty list means it holds."""
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        return ["no single proof"]
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        return ["not an eddsa-jcs-2022 DataIntegrityProof"]
    if proof.get("proofPurpose") != "assertionMethod":
        return ["proof purpose is not assertionMethod"]
    try:
        if parse_datetime(proof["created"]) > now + CLOCK_SKEW:
            return ["proof created in the future"]
    except (KeyError, ValueError):
        return ["proof has no valid 'created' time"]
    try:
        method = resolve_verification_method(proof["verificationMethod"], fetch)
        if method.get("type") != "Multikey":
            return ["verification method is not a Multikey"]
        if method.get("controller") != issuer_id(secured):
            return ["verification method is not controlled by the issuer"]
        public_key = multikey_public_key(method["publicKeyMultibase"])
    except (KeyError, ValueError) as error:
        return [f"verification method: {error}"]

    # §3.3.2 Verify Proof
    unsecured = {key: value for key, value in secured.items() if key != "proof"}
    proof_options = {key: value for key, value in proof.items() if key != "proofValue"}
    proof_value = proof.get("proofValue", "")
    if not proof_value.startswith("z"):
        return ["proofValue is not base58btc"]
    proof_bytes = base58.b58decode(proof_value[1:])
    if "@context" in proof_options:
        document_context = secured.get("@context", [])
        if not isinstance(document_context, list):
            document_context = [document_context]
        proof_context = proof_options["@context"]
        if not isinstance(proof_context, list):
            proof_context = [proof_context]
        if document_context[: len(proof_context)] != proof_context:
            return ["the document's @context does not start with the proof's"]
        unsecured["@context"] = proof_options["@context"]
    transformed = rfc8785.dumps(unsecured)
    proof_config = rfc8785.dumps(proof_options)
    hash_data = hashlib.sha256(proof_config).digest() + hashlib.sha256(transformed).digest()
    try:
        public_key.verify(proof_bytes, hash_data)
    except InvalidSignature:
        return ["signature does not match"]
    return []


def validity_problems(document: dict, now: datetime) -> list[str]:
    problems = []
    checks = (("validFrom", lambda t: t > now + CLOCK_SKEW), ("validUntil", lambda t: t < now))
    for name, bad in checks:
        if name not in document:
            continue
        try:
            moment = parse_datetime(document[name])
        except ValueError:
            problems.append(f"{name} is not a dateTime")
            continue
        if bad(moment):
            problems.append(f"not valid at this time ({name} {document[name]})")
    return problems


def status_bit(entry: dict, credential_issuer: str | None, fetch: Fetch, now: datetime):
    """(problems, bit) for a BitstringStatusListEntry, after verifying the list credential."""
    if entry.get("type") != "BitstringStatusListEntry":
        return ["credentialStatus is not a BitstringStatusListEntry"], None
    status_list = fetch(entry["statusListCredential"])
    problems = proof_problems(status_list, fetch, now) + validity_problems(status_list, now)
    if "BitstringStatusListCredential" not in status_list.get("type", []):
        problems.append("status list is not a BitstringStatusListCredential")
    if issuer_id(status_list) != credential_issuer:
        problems.append("status list has another issuer")
    subject = status_list.get("credentialSubject", {})
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        problems.append("status purposes differ")
    encoded = subject.get("encodedList", "")
    if not encoded.startswith("u"):
        return problems + ["encodedList is not multibase base64url"], None
    bits = decode_list(encoded)
    if len(bits) * 8 < MIN_STATUS_LIST_BITS:
        problems.append("status list is shorter than 131,072 bits")
    index = int(entry["statusListIndex"])
    if index >= len(bits) * 8:
        return problems + ["statusListIndex is outside the list"], None
    return problems, read_bit(bits, index)


def decode_list(encoded: str) -> bytes:
    """``encodedList``: multibase ``u`` (base64url, no padding) of the GZIP-compressed bits."""
    payload = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def read_bit(bits: bytes, index: int) -> int:
    """Bit ``index``: index 0 is the left-most bit of the first byte (§3.2 step 10)."""
    return (bits[index // 8] >> (7 - index % 8)) & 1


def verify_credential(document: dict, fetch: Fetch, now: datetime | None = None) -> Verification:
    """Proof, validity period and revocation status of a credential."""
    now = now or datetime.now(UTC)
    result = Verification()
    if document.get("@context", [None])[0] != "https://www.w3.org/ns/credentials/v2":
        result.problems.append("not a VC 2.0 credential")
    result.problems += proof_problems(document, fetch, now)
    result.problems += validity_problems(document, now)
    # VC 2.0 §4.10: one status entry or a set of them (here, one per purpose).
    entries = document.get("credentialStatus")
    if isinstance(entries, dict):
        entries = [entries]
    for entry in entries or []:
        status_problems, bit = status_bit(entry, issuer_id(document), fetch, now)
        result.problems += [f"status list: {problem}" for problem in status_problems]
        if bit is None or status_problems:
            continue
        purpose = entry.get("statusPurpose")
        if purpose == "revocation":
            result.revoked = bit == 1
            if result.revoked:
                result.problems.append("revoked")
        elif purpose == "suspension":
            result.suspended = bit == 1
            if result.suspended:
                result.problems.append("suspended")
    return result
