"""The platform's Ed25519 key: it signs credentials (Open Badges) and audit-log checkpoints.

Why in lms.lib: certificates (``exams.certificates.signing``) and the audit log
(``lms.auditlog``, below every app) both sign with the one platform key, and the lower of them
cannot import the higher.

Key format (``CERTIFICATE_SIGNING_KEY``): the 32-byte Ed25519 secret seed as a multibase Multikey,
i.e. ``"z"`` + base58btc(0x80 0x26 + seed) — a string starting ``z3u2``. ``python manage.py
generate_signing_key`` prints a new one with its public Multikey (``"z"`` + base58btc(0xed 0x01 +
public key), ``z6Mk...``). Without a configured key, a key derived from ``SECRET_KEY`` is used
where development keys are allowed (DEBUG, or ``CERTIFICATE_ALLOW_DEV_SIGNING_KEY`` in the test
settings); elsewhere a system check stops start-up.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("exams.certificates.signing")

_DEV_KEY_LABEL = b"sunshine-academy/certificate-signing-key/development\x00"


class SigningKeyError(ImproperlyConfigured):
    """The configured signing key cannot be used (missing where required, or malformed)."""


# Multicodec prefixes (unsigned varints) of the Multikey encodings.
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_SECRET_PREFIX = b"\x80\x26"
# --- Multibase / Multikey -----------------------------------------------------------------------


def multibase_base58btc(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def decode_multibase_base58btc(value: str) -> bytes:
    if not value.startswith("z"):
        raise ValueError("not a base58btc multibase value (it must start with 'z')")
    return base58.b58decode(value[1:])


def public_multikey(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return multibase_base58btc(ED25519_PUBLIC_PREFIX + raw)


def decode_public_multikey(value: str) -> Ed25519PublicKey:
    data = decode_multibase_base58btc(value)
    if len(data) != 34 or not data.startswith(ED25519_PUBLIC_PREFIX):
        raise ValueError("not an Ed25519 public Multikey (z6Mk...)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def secret_multikey(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return multibase_base58btc(ED25519_SECRET_PREFIX + raw)


def decode_secret_multikey(value: str) -> Ed25519PrivateKey:
    try:
        data = decode_multibase_base58btc(value.strip())
    except ValueError as error:
        raise ValueError(f"not a multibase Ed25519 secret key: {error}") from None
    if len(data) != 34 or not data.startswith(ED25519_SECRET_PREFIX):
        raise ValueError("not a multibase Ed25519 secret key (z3u2..., 0x8026 + 32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


# --- The issuer's key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """The issuer's Ed25519 key pair; ``key_id`` names its public key document."""

    private_key: Ed25519PrivateKey
    is_development: bool = False

    @functools.cached_property
    def public_multikey(self) -> str:
        return public_multikey(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        return key_id_for(self.public_multikey)


def key_id_for(public_key_multibase: str) -> str:
    """A short, stable name for a public key: the start of the SHA-256 of its Multikey."""
    return hashlib.sha256(public_key_multibase.encode("ascii")).hexdigest()[:16]


def dev_key_allowed() -> bool:
    return bool(settings.DEBUG or settings.CERTIFICATE_ALLOW_DEV_SIGNING_KEY)


def current_signing_key() -> SigningKey:
    """The key that signs credentials now (see the module docstring for where it comes from)."""
    return _load_signing_key(
        settings.CERTIFICATE_SIGNING_KEY, settings.SECRET_KEY, dev_key_allowed()
    )


@functools.lru_cache(maxsize=8)
def _load_signing_key(configured: str | None, secret_key: str, allow_dev: bool) -> SigningKey:
    if configured:
        try:
            return SigningKey(decode_secret_multikey(configured))
        except ValueError as error:
            raise SigningKeyError(f"CERTIFICATE_SIGNING_KEY is invalid: {error}") from None
    if not allow_dev:
        raise SigningKeyError(
            "CERTIFICATE_SIGNING_KEY must be set; run `python manage.py generate_signing_key`"
        )
    logger.warning(
        "CERTIFICATE_SIGNING_KEY is not set: signing credentials with a development key derived "
        "from SECRET_KEY. Never use this outside development."
    )
    seed = hashlib.sha256(_DEV_KEY_LABEL + secret_key.encode()).digest()
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed), is_development=True)


def published_public_keys() -> list[str]:
    """Public Multikeys whose documents are served: the current key, then retired ones."""
    keys = [current_signing_key().public_multikey]
    for retired in settings.CERTIFICATE_RETIRED_PUBLIC_KEYS:
        if retired not in keys:
            keys.append(retired)
    return keys
