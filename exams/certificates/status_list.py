"""The published revocation list: W3C Bitstring Status List v1.0.

A verifier learns whether a credential was revoked without telling us which one it is checking:
it downloads a whole list (131,072 certificates) and reads one bit. Each certificate owns the bit
``status_index`` for life. Numbering: list ``n`` (``/credentials/status/<n>.json``) holds the
certificates whose ``status_index`` is in ``[n * LIST_SIZE, (n + 1) * LIST_SIZE)``, and a
certificate's ``statusListIndex`` is ``status_index % LIST_SIZE``. So list 0 holds indexes
0–131,071, list 1 the next 131,072, and so on; index 0 is the left-most bit of the first byte.

Only revocation is published: an expired certificate is visible from ``validUntil``, and a
superseded one stays a true record of what was certified.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

from .models import Certificate, CertificateStatus

# The specification's minimum list length, which also gives group privacy: one list covers
# this many certificates.
LIST_SIZE = 131_072
STATUS_PURPOSE = "revocation"
# status_index is a 31-bit column: lists beyond this hold no certificate and are not served.
MAX_LIST_NUMBER = (2**31 - 1) // LIST_SIZE
# How long a verifier or cache may keep a list (the list's ``ttl``, and the HTTP max-age).
TTL_SECONDS = 300


def list_number(status_index: int) -> int:
    return status_index // LIST_SIZE


def list_position(status_index: int) -> int:
    """The certificate's ``statusListIndex`` within its list."""
    return status_index % LIST_SIZE


def encode_bitstring(positions: Iterable[int], size: int = LIST_SIZE) -> str:
    """``encodedList``: the GZIP-compressed bitstring, multibase base64url without padding.

    Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (index 0 is the left-most bit).
    """
    if size % 8 or size < LIST_SIZE:
        raise ValueError(f"a status list holds a multiple of 8 bits, at least {LIST_SIZE}")
    bits = bytearray(size // 8)
    for position in positions:
        if not 0 <= position < size:
            raise ValueError(f"status list position {position} is outside the list")
        bits[position // 8] |= 0x80 >> (position % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)  # mtime 0: same list, same bytes
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def revoked_positions(number: int) -> list[int]:
    """Positions of the revoked certificates in list ``number`` (one query)."""
    start = number * LIST_SIZE
    indexes = Certificate.objects.filter(
        status=CertificateStatus.REVOKED,
        status_index__gte=start,
        status_index__lt=start + LIST_SIZE,
    ).values_list("status_index", flat=True)
    return [index - start for index in indexes]


def encoded_list(number: int) -> str:
    return encode_bitstring(revoked_positions(number))
