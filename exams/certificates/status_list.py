"""The published status lists: W3C Bitstring Status List v1.0, for revocation and suspension.

A verifier learns whether a credential was revoked or is suspended without telling us which one
it is checking: it downloads a whole list (131,072 certificates) and reads one bit. Each
certificate owns the bit ``status_index`` for life, in both lists. Numbering: list ``n`` of a
purpose (``/credentials/status/<n>.json`` for revocation, ``/credentials/status/suspension/
<n>.json`` for suspension) holds the certificates whose ``status_index`` is in ``[n * LIST_SIZE,
(n + 1) * LIST_SIZE)``, and a certificate's ``statusListIndex`` is ``status_index % LIST_SIZE``;
index 0 is the left-most bit of the first byte.

* Revocation: the bit is set, for good, when the certificate is revoked.
* Suspension: the bit is set while the certificate is suspended and cleared when it is
  reinstated (or when the suspension ends otherwise: refreshed, revoked, expired).

An expired certificate is visible from ``validUntil``, and a superseded one stays a true record
of what was certified, so neither is published.

Indexes are random (the specification's privacy advice, §6): a new certificate takes an index
chosen uniformly among the free ones of the lists in use, so neighbouring bits say nothing about
who was certified together, or when. A new list is opened once the lists in use are over half
full, which keeps a random draw likely to hit a free index. Older certificates keep the index
they were given (their issuance number).
"""

from __future__ import annotations

import base64
import gzip
import random
from collections.abc import Iterable

from django.db import connection
from django.db.models import Max

from .models import Certificate, CertificateStatus

# The specification's minimum list length, which also gives group privacy: one list covers
# this many certificates.
LIST_SIZE = 131_072
REVOCATION = "revocation"
SUSPENSION = "suspension"
# Which certificate status sets the bit, for each purpose.
PURPOSES = {REVOCATION: CertificateStatus.REVOKED, SUSPENSION: CertificateStatus.SUSPENDED}
# Kept for callers that speak of "the" list: the revocation list (the one since issue 5).
STATUS_PURPOSE = REVOCATION
# status_index is a 31-bit column: lists beyond this hold no certificate and are not served.
MAX_LIST_NUMBER = (2**31 - 1) // LIST_SIZE
# How long a verifier or cache may keep a list: the list's ``ttl`` (in milliseconds, §2.2) and
# the HTTP ``Cache-Control: max-age`` (in seconds) say the same.
TTL_SECONDS = 300
# A new list is opened when the lists in use are fuller than this.
OPEN_NEW_LIST_ABOVE = 0.5
# Draws before giving up: with lists at most half full, 64 misses in a row has odds below 2^-64.
MAX_DRAWS = 64
# PostgreSQL advisory lock class for "this index is being taken by an open transaction".
ADVISORY_LOCK_CLASS = 0x5354  # "ST"

_random = random.SystemRandom()


class NoFreeIndex(RuntimeError):
    """No free status index was found (all lists full, or MAX_DRAWS collisions in a row)."""


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


def set_positions(number: int, purpose: str = REVOCATION) -> list[int]:
    """Positions whose bit is set in list ``number`` of ``purpose`` (one query)."""
    start = number * LIST_SIZE
    indexes = Certificate.objects.filter(
        status=PURPOSES[purpose],
        status_index__gte=start,
        status_index__lt=start + LIST_SIZE,
    ).values_list("status_index", flat=True)
    return [index - start for index in indexes]


def revoked_positions(number: int) -> list[int]:
    """Positions of the revoked certificates in list ``number`` (one query)."""
    return set_positions(number, REVOCATION)


def encoded_list(number: int, purpose: str = REVOCATION) -> str:
    return encode_bitstring(set_positions(number, purpose))


# --- Random indexes ----------------------------------------------------------------------------


def lists_in_use() -> int:
    """How many lists new certificates draw from: every list holding a certificate (at least
    one), plus a new one once those are over half full. Two queries."""
    highest = Certificate.objects.aggregate(highest=Max("status_index"))["highest"]
    count = 1 if highest is None else list_number(highest) + 1
    count = min(count, MAX_LIST_NUMBER + 1)
    used = Certificate.objects.filter(status_index__lt=count * LIST_SIZE).count()
    if used > count * LIST_SIZE * OPEN_NEW_LIST_ABOVE and count <= MAX_LIST_NUMBER:
        count += 1
    return count


def random_free_index() -> int:
    """A status index for a new certificate: uniform among the free indexes of the lists in
    use (rejection sampling: a draw that hits a taken index is drawn again).

    Call it inside the transaction that inserts the certificate. On PostgreSQL the index is
    also claimed with a transaction-level advisory lock, so two transactions issuing at the
    same moment never draw the same free index: the second sees the first's claim (or, once
    the first commits, its row) and draws again. The unique column stays the last word: a
    duplicate that slipped through anyway fails the insert, and issuance is retried.
    """
    upper = min(lists_in_use() * LIST_SIZE, 2**31 - 1)
    for _draw in range(MAX_DRAWS):
        candidate = _random.randrange(upper)
        if Certificate.objects.filter(status_index=candidate).exists():
            continue
        if not _claim(candidate):
            continue
        # Claimed: a transaction that held the claim has committed since the check above
        # (its lock is released at commit), so look again under the claim.
        if connection.vendor == "postgresql" and (
            Certificate.objects.filter(status_index=candidate).exists()
        ):
            continue
        return candidate
    raise NoFreeIndex(f"no free status index after {MAX_DRAWS} draws")


def _claim(index: int) -> bool:
    """Claim ``index`` until the current transaction ends (PostgreSQL); elsewhere, True (SQLite
    has one writer at a time, and the unique column catches the rest)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, index])
        (claimed,) = cursor.fetchone()
    return bool(claimed)
