"""Export bundles: a self-contained zip a regulator verifies offline with ``verify.py``.

Why a bundle and not a CSV: the point of the export is that its reader need not trust the
platform. The bundle carries the events, the signed checkpoint(s) vouching for them, the public
key, and the verifier's source, so anyone with Python and ``cryptography`` can recompute the
chain and check the signature on their own machine.

What is in it (``sunshine-academy-audit-export/1``):

* ``events.jsonl``: one event per line, in sequence, from the first selected event to the first
  checkpoint at or after the last selected one (taken on demand if none covers it yet). A
  selected event (in the date range and, for a firm's export, concerning that firm) appears in
  full; every other event of that span appears *redacted* (``seq``, ``body_hash``,
  ``prev_hash``, ``hash``), which carries the chain through it and tells nothing of its content.
* ``checkpoints.json``: every checkpoint within the span; ``public_keys.json``: the platform's
  public keys; ``manifest.json``: what was asked for and what the span is; ``verify.py``: a copy
  of :mod:`lms.auditlog.verifier`; ``README.txt``: how to check it.
* ``signature.json``: the platform's Ed25519 signature over the SHA-256 of the manifest, the
  events, the checkpoints and the public keys. Why: the chain alone proves only that the lines
  link up, and a holder (a firm manager handing their bundle to a regulator) could turn a line
  of theirs into a consistent redacted one, drop the first events and edit the manifest, or
  rewrite the unhashed masked data. The signature vouches for the files exactly as exported.

Masking: a masked bundle drops each event's ``personal`` part (names, emails, free text, and the
salt of its digest) and adds ``personal_masked`` (张*三, z***@example.com, 138****5678). Neither
is hashed: the chain covers only ``personal_digest``, so a masked bundle verifies the same.

This module decides nothing about who may export what: callers (the firm managers' page, the
``export_audit_log`` command) do, and record the export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Min
from django.utils import timezone

from lms.lib.masking import mask_email, mask_name, mask_phone
from lms.lib.signing_keys import current_signing_key, published_public_keys

from . import verifier
from .chain import event_record
from .checkpoints import CheckpointRefused, sign_document, take_checkpoint
from .models import AuditEvent, Checkpoint, EventFirm
from .verification import ROW_FIELDS

# Dates in requests and manifests are calendar days in Beijing time, whatever TIME_ZONE says.
BEIJING = ZoneInfo("Asia/Shanghai")
MASK = "***"
_LABEL = re.compile(r"^(?P<name>.*?) <(?P<email>[^<>]*)>$")
_PERSON_KEYS = {"actor", "subject", "persons"}
BUNDLE_README = Path(__file__).with_name("bundle_readme.txt")


class NothingToExport(ValueError):
    """No event of the requested firm and range: there is nothing a bundle could vouch for."""


class NoCheckpoint(RuntimeError):
    """No checkpoint covers the range and none may be signed now (the chain does not verify)."""


class NoCheckpointYet(NoCheckpoint):
    """Nothing was ever checkpointed, and the caller may not sign on demand (the web page)."""


class DayOutOfRange(ValueError):
    """A day the export cannot turn into instants (year 1, year 9999): refused, not crashed."""


# Days an export may name: wide enough for any event, narrow enough that a day's Beijing
# bounds (and their UTC form) are valid datetimes on every database.
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(9999, 12, 30)


def check_day(day: dt.date) -> dt.date:
    """``day`` if an export can use it, else :class:`DayOutOfRange`."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise DayOutOfRange(f"{day.isoformat()} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    return day


@dataclass(frozen=True)
class BundleFirm:
    """The firm an export is for, as its manifest names it (the audit log knows firms by id)."""

    id: int
    code: str = ""
    name: str = ""


@dataclass
class BundleSummary:
    """What a bundle holds: its span, its counts, and whose personal data it shows unmasked."""

    first_seq: int
    last_seq: int
    masked: bool
    events: int = 0
    redacted: int = 0
    checkpoints: int = 0
    # People (and acting users) whose personal data the bundle contains in full.
    unmasked_people: set[int] = field(default_factory=set)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants ``[start 00:00, end+1 00:00)`` in Beijing time: both days included."""
    if end < start:
        raise ValueError("the end date is before the start date")
    check_day(start)
    check_day(end)
    first = dt.datetime.combine(start, dt.time.min, tzinfo=BEIJING)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=BEIJING)
    return first, after


def selected_range(
    firm_id: int | None, start: dt.date, end: dt.date, *, up_to: int | None = None
) -> tuple[int, int] | None:
    """The first and last sequence numbers of the selected events (none after ``up_to``), or
    None if there are none."""
    first, after = day_bounds(start, end)
    events = AuditEvent.objects.filter(occurred_at__gte=first, occurred_at__lt=after)
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    if firm_id is not None:
        events = events.filter(seq__in=EventFirm.objects.filter(firm_id=firm_id).values("event_id"))
    bounds = events.aggregate(first=Min("seq"), last=Max("seq"))
    if bounds["first"] is None:
        return None
    return bounds["first"], bounds["last"]


def covering_checkpoint(seq: int, *, sign_now: bool = True) -> Checkpoint:
    """The first checkpoint at or after ``seq``; one is signed now if none covers it yet and
    ``sign_now`` (without it, :class:`NoCheckpoint`).

    Raises :class:`NoCheckpoint` when the platform refuses to sign (the chain does not verify):
    a bundle without a checkpoint would vouch for nothing.
    """
    covering = Checkpoint.objects.filter(seq__gte=seq).order_by("seq", "id")
    checkpoint = covering.first()
    if checkpoint is None and not sign_now:
        raise NoCheckpoint(f"no checkpoint covers event {seq} yet")
    if checkpoint is None:
        try:
            outcome = take_checkpoint()
        except CheckpointRefused as refused:
            raise NoCheckpoint(f"the audit log does not verify at {refused}") from refused
        checkpoint = covering.first()
        if checkpoint is None:
            raise NoCheckpoint(outcome.reason or "no checkpoint could be signed")
    return checkpoint


# --- Masking --------------------------------------------------------------------------------------


def _mask_ip(value: str) -> str:
    if ":" in value:  # IPv6: the first two groups
        return ":".join(value.split(":")[:2]) + ":" + MASK
    parts = value.split(".")
    return ".".join(parts[:2] + ["*"] * (len(parts) - 2)) if len(parts) == 4 else MASK


def _mask_string(key: str, value: str) -> str:
    key = key.lower()
    if not value:
        return ""
    if key in _PERSON_KEYS or _LABEL.match(value):
        match = _LABEL.match(value)
        if match:
            return f"{mask_name(match['name'])} <{mask_email(match['email'])}>"
        return mask_email(value) if "@" in value else mask_name(value)
    if "email" in key:
        return mask_email(value)
    if "phone" in key or "mobile" in key:
        return mask_phone(value)
    if "name" in key:
        return mask_name(value)
    if key == "ip" or key.endswith("_ip") or key.startswith("ip_"):
        return _mask_ip(value)
    # Free text (a reason, a note, a user agent) may say anything about anyone: withheld.
    return MASK


def _mask_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        # The "persons" map is keyed by person id: its values are labels of the parent's kind.
        return {k: _mask_value(key if k.isdigit() else k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(key, item) for item in value]
    if isinstance(value, str):
        return _mask_string(key, value)
    return None if value is None else MASK


def mask_personal(personal: dict[str, Any]) -> dict[str, Any]:
    """``personal`` as a masked bundle shows it: names 张*三, emails z***@…, phones 138****5678,
    IP addresses cut to their network, free text withheld; the digest's salt is dropped, so the
    masked values cannot be tested against the digest either."""
    return {key: _mask_value(key, value) for key, value in personal.items() if key != "salt"}


# --- Writing --------------------------------------------------------------------------------------


def _selected(row: dict, firm_id: int | None, first: dt.datetime, after: dt.datetime) -> bool:
    if not first <= row["occurred_at"] < after:
        return False
    return firm_id is None or any(firm.get("id") == firm_id for firm in row["firms"])


def _people_in(row: dict) -> set[int]:
    people = set(row["persons"])
    if row["actor_kind"] == "user" and row["actor_id"].isdigit():
        people.add(int(row["actor_id"]))
    if row["subject_type"] == "accounts.user" and row["subject_id"].isdigit():
        people.add(int(row["subject_id"]))
    return people


def _lines(
    first_seq: int,
    last_seq: int,
    *,
    firm_id: int | None,
    bounds: tuple[dt.datetime, dt.datetime],
    masked: bool,
    summary: BundleSummary,
) -> Iterator[dict]:
    rows = (
        AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=last_seq)
        .order_by("seq")
        .values(*ROW_FIELDS)
    )
    for row in rows.iterator(chunk_size=2000):
        record = event_record(row)
        if not _selected(row, firm_id, *bounds):
            summary.redacted += 1
            yield {
                "seq": record["seq"],
                "redacted": True,
                "body_hash": verifier.body_hash(verifier.body_of(record)),
                "prev_hash": record["prev_hash"],
                "hash": record["hash"],
            }
            continue
        summary.events += 1
        personal = record.pop("personal")
        if personal:
            if masked:
                record["personal_masked"] = mask_personal(personal)
            else:
                record["personal"] = personal
                summary.unmasked_people |= _people_in(row)
        yield record


def write_bundle(
    fileobj: IO[bytes],
    *,
    start: dt.date,
    end: dt.date,
    masked: bool,
    firm: BundleFirm | None = None,
    sign_now: bool = True,
) -> BundleSummary:
    """Write the bundle of the events from ``start`` to ``end`` (Beijing days, both included)
    concerning ``firm`` (every event when None) to ``fileobj``, signed by the platform.

    ``sign_now``: sign a checkpoint when none covers the last selected event yet (platform
    staff's command). Without it (a firm manager's download, which anyone signed in as a
    manager can repeat), only events up to the latest existing checkpoint are exported, so a
    download never adds a permanent checkpoint; :class:`NoCheckpointYet` when there is none.

    Raises :class:`NothingToExport` when no event is selected, :class:`NoCheckpoint` when
    none covers the range and the chain does not verify, :class:`DayOutOfRange` for days an
    export cannot name. Only reads, except for signing a checkpoint as said.
    """
    firm_id = firm.id if firm else None
    day_bounds(start, end)  # DayOutOfRange before any query
    up_to = None
    if not sign_now:
        up_to = Checkpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
        if up_to is None:
            raise NoCheckpointYet("no checkpoint has been signed yet")
    selected = selected_range(firm_id, start, end, up_to=up_to)
    if selected is None:
        raise NothingToExport("no audit event in that range")
    first_seq = selected[0]
    last_seq = covering_checkpoint(selected[1], sign_now=sign_now).seq
    summary = BundleSummary(first_seq=first_seq, last_seq=last_seq, masked=masked)
    checkpoints = [
        checkpoint.as_published()
        for checkpoint in Checkpoint.objects.filter(seq__gte=first_seq, seq__lte=last_seq).order_by(
            "seq", "id"
        )
    ]
    summary.checkpoints = len(checkpoints)

    digests: dict[str, str] = {}
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        events_digest = hashlib.sha256()
        with bundle.open("events.jsonl", "w") as events:
            for line in _lines(
                first_seq,
                last_seq,
                firm_id=firm_id,
                bounds=day_bounds(start, end),
                masked=masked,
                summary=summary,
            ):
                data = json.dumps(line, ensure_ascii=False).encode() + b"\n"
                events_digest.update(data)
                events.write(data)
        digests["events.jsonl"] = events_digest.hexdigest()
        manifest = {
            "format": verifier.BUNDLE_FORMAT,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "firm": None if firm is None else {"id": firm.id, "code": firm.code, "name": firm.name},
            "from": start.isoformat(),
            "to": end.isoformat(),
            "timezone": "Asia/Shanghai",
            "generated_at": timezone.now().astimezone(BEIJING).isoformat(timespec="seconds"),
            "masked": masked,
            "events": summary.events,
            "redacted": summary.redacted,
            "checkpoints": summary.checkpoints,
        }
        keys = [{"publicKeyMultibase": key} for key in published_public_keys()]
        for name, value in (
            ("manifest.json", manifest),
            ("checkpoints.json", checkpoints),
            ("public_keys.json", keys),
        ):
            data = _pretty(value)
            digests[name] = hashlib.sha256(data).hexdigest()
            bundle.writestr(name, data)
        bundle.writestr("signature.json", _pretty(_signature(digests)))
        bundle.writestr("verify.py", Path(verifier.__file__).read_bytes())
        bundle.writestr("README.txt", BUNDLE_README.read_bytes())
    return summary


def _signature(digests: dict[str, str]) -> dict[str, Any]:
    """The platform's signature over the files' SHA-256 (``verifier.SIGNED_FILES``)."""
    document: dict[str, Any] = {"type": verifier.EXPORT_TYPE}
    for name, field_name in verifier.SIGNED_FILES.items():
        document[field_name] = digests[name]
    document["key"] = current_signing_key().public_multikey
    document["time"] = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"document": document, "signature": sign_document(document)}


def _pretty(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"
