"""Signing credentials: the issuer's Ed25519 key and the ``eddsa-jcs-2022`` Data Integrity proof.

Credentials are signed so that anyone holding one can check, without trusting whoever handed it
over, that Sunshine Academy issued it and that nothing in it was changed. The proof follows W3C
"Data Integrity EdDSA Cryptosuites v1.0" §3.3 (``eddsa-jcs-2022``) exactly: the document and the
proof options are canonicalised with JCS (RFC 8785), hashed with SHA-256, and the two hashes,
proof options first, are signed with Ed25519.

Key format (``CERTIFICATE_SIGNING_KEY``): the 32-byte Ed25519 secret seed as a multibase Multikey,
i.e. ``"z"`` + base58btc(0x80 0x26 + seed) — a string starting ``z3u2``, the same form as the
``privateKeyMultibase`` of the W3C test vectors. ``python manage.py generate_signing_key`` prints
a new one with its public Multikey (``"z"`` + base58btc(0xed 0x01 + public key), ``z6Mk...``).

Without a configured key, a key derived from ``SECRET_KEY`` is used where development keys are
allowed (DEBUG, or ``CERTIFICATE_ALLOW_DEV_SIGNING_KEY`` in the test settings); elsewhere the
system check below stops start-up, so production never signs with a guessable key.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core import checks

# The platform's Ed25519 key lives in lms.lib.signing_keys (the audit log's checkpoints are
# signed with it too); its names are re-exported here for the certificate code.
from lms.lib.signing_keys import (  # noqa: F401
    ED25519_PUBLIC_PREFIX,
    ED25519_SECRET_PREFIX,
    SigningKey,
    SigningKeyError,
    current_signing_key,
    decode_multibase_base58btc,
    decode_public_multikey,
    decode_secret_multikey,
    dev_key_allowed,
    key_id_for,
    multibase_base58btc,
    public_multikey,
    published_public_keys,
    secret_multikey,
)

logger = logging.getLogger(__name__)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION_METHOD = "assertionMethod"


# --- eddsa-jcs-2022 -----------------------------------------------------------------------------


def xml_datetime(moment: datetime) -> str:
    """An XML Schema dateTime in UTC to the second, as the VC examples write them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_json(value: Any) -> bytes:
    """JSON Canonicalization Scheme (RFC 8785)."""
    return rfc8785.dumps(value)


def hash_data(unsecured_document: dict, proof_config: dict) -> bytes:
    """§3.3.4: SHA-256(JCS(proof config)) followed by SHA-256(JCS(document))."""
    return (
        hashlib.sha256(canonical_json(proof_config)).digest()
        + hashlib.sha256(canonical_json(unsecured_document)).digest()
    )


def create_proof(
    unsecured_document: dict,
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    proof_purpose: str = ASSERTION_METHOD,
) -> dict:
    """§3.3.1 Create Proof: the proof options, with the document's ``@context`` and the
    signature (``proofValue``) added."""
    if "proof" in unsecured_document:
        raise ValueError("the document already has a proof")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xml_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in unsecured_document:
        proof["@context"] = copy.deepcopy(unsecured_document["@context"])
    signature = private_key.sign(hash_data(unsecured_document, proof))
    proof["proofValue"] = multibase_base58btc(signature)
    return proof


def sign(
    unsecured_document: dict,
    signing_key: SigningKey,
    *,
    verification_method: str,
    created: datetime,
) -> dict:
    """A copy of the document secured with an ``eddsa-jcs-2022`` proof."""
    proof = create_proof(
        unsecured_document,
        signing_key.private_key,
        verification_method=verification_method,
        created=created,
    )
    return {**unsecured_document, "proof": proof}


def verify_proof(secured_document: dict, public_key: Ed25519PublicKey) -> bool:
    """§3.3.2 Verify Proof, for a document carrying one ``eddsa-jcs-2022`` proof."""
    proof = secured_document.get("proof")
    if not isinstance(proof, dict):
        return False
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    unsecured = {key: value for key, value in secured_document.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    try:
        signature = decode_multibase_base58btc(proof.get("proofValue", ""))
    except ValueError:
        return False
    if "@context" in options:
        context = options["@context"]
        document_context = unsecured.get("@context")
        wanted = context if isinstance(context, list) else [context]
        present = document_context if isinstance(document_context, list) else [document_context]
        if present[: len(wanted)] != wanted:
            return False
        unsecured["@context"] = context
    try:
        public_key.verify(signature, hash_data(unsecured, options))
    except InvalidSignature:
        return False
    return True


# --- System check -------------------------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_signing_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Refuse to run without a real key where development keys are not allowed."""
    errors = []
    for retired in settings.CERTIFICATE_RETIRED_PUBLIC_KEYS:
        try:
            decode_public_multikey(retired)
        except ValueError as error:
            errors.append(
                checks.Error(
                    f"CERTIFICATE_RETIRED_PUBLIC_KEYS holds {retired!r}: {error}.",
                    hint="List the public Multikeys (z6Mk...) of retired signing keys.",
                    id="exams.E102",
                )
            )
    return errors + _check_current_key()


def _check_current_key() -> list[checks.CheckMessage]:
    configured = settings.CERTIFICATE_SIGNING_KEY
    if configured:
        try:
            decode_secret_multikey(configured)
        except ValueError as error:
            return [
                checks.Error(
                    f"CERTIFICATE_SIGNING_KEY is invalid: {error}.",
                    hint="Run `python manage.py generate_signing_key` and set the key it prints.",
                    id="exams.E101",
                )
            ]
        return []
    if not dev_key_allowed():
        return [
            checks.Error(
                "CERTIFICATE_SIGNING_KEY is not set: certificates cannot be signed.",
                hint="Run `python manage.py generate_signing_key` and set the key it prints "
                "in the environment (and keep it secret).",
                id="exams.E100",
            )
        ]
    return []
