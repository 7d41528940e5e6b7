"""Appending to the audit log: :func:`record`, called by the one service function of each change.

Why from services and not from model signals: ``QuerySet.update()``, ``bulk_create`` and raw SQL
send no signals, and a signal cannot tell a decision (a reviewer revoking) from a side effect (a
save that fixes a typo). Each service calls :func:`record` inside its own transaction, so a
rolled-back change leaves no event and a committed one always has its event.

Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock taken before the
head is read, on SQLite by the write lock that ``BEGIN IMMEDIATE`` (our SQLite settings) takes.
So two concurrent actions never chain to the same head, and ``seq`` has no gaps. The lock is
held until the caller's transaction ends: services record their event last, after the slow part.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise

from lms.lib.sql import bigint_array

from . import context, verifier
from .events import EVENT_TYPES
from .models import ActorKind, AuditEvent, EventFirm, EventPerson

# pg_advisory_xact_lock key: "audit log append" (any fixed 64-bit number no other code uses).
ADVISORY_LOCK_KEY = 0x5A_A0D1_7106
SYSTEM_ACTOR = "platform"


@dataclass(frozen=True)
class Actor:
    """Who acted, in the form the chain stores: kind, id, a non-personal label, and the
    personal label (a person's name and email) kept out of the hashed body."""

    kind: str
    id: str
    label: str = ""
    personal_label: str = ""

    def as_body(self) -> dict:
        body = {"kind": self.kind, "id": self.id}
        if self.label:
            body["label"] = self.label
        return body


def actor_for(actor: Any) -> Actor:
    """An :class:`Actor` for a user, an API token, a task's dotted name, or None (the platform)."""
    if actor is None or (hasattr(actor, "is_authenticated") and not actor.is_authenticated):
        actor = context.current_actor.get()
    if actor is None or (hasattr(actor, "is_authenticated") and not actor.is_authenticated):
        return Actor(ActorKind.SYSTEM, SYSTEM_ACTOR)
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, str):
        return Actor(ActorKind.SYSTEM, actor[:200])
    if isinstance(actor, get_user_model()):
        return Actor(ActorKind.USER, str(actor.pk), personal_label=_person_label(actor))
    if isinstance(actor, models.Model):  # an API token (lms.compliance.ApiToken)
        # Its prefix, not its name: a name is free text and the label is hashed for good.
        prefix = getattr(actor, "prefix", "")
        return Actor(ActorKind.TOKEN, str(actor.pk), label=f"{prefix}…" if prefix else "")
    raise TypeError(f"not an actor: {actor!r}")


def _person_label(user: Any) -> str:
    name = getattr(user, "legal_name", "") or ""
    email = getattr(user, "email", "") or ""
    return f"{name} <{email}>" if name and email else (name or email or f"#{user.pk}")


def jsonable(value: Any) -> Any:
    """``value`` as the JSON subset events hold: no floats (scores go as decimal strings)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("audit payloads hold no floats: pass a Decimal or a string")
    if isinstance(value, dt.datetime):
        return _time(value)
    if isinstance(value, (dt.date, dt.time, uuid.UUID)):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds())
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    raise TypeError(f"cannot record a {type(value).__name__} in an audit payload")


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _subject(subject: Any, label: str | None) -> tuple[dict, str]:
    """The subject's stored form, and its personal label (for a person) kept out of the body."""
    label = (label or "")[:200] or None
    if subject is None:
        return {"type": "", "id": "", "label": label or ""}, ""
    if isinstance(subject, tuple):  # ("app_label.model", pk)
        subject_type, pk = subject
        return {"type": subject_type, "id": str(pk), "label": label or ""}, ""
    subject_type = subject._meta.label_lower
    if isinstance(subject, get_user_model()):
        return {"type": subject_type, "id": str(subject.pk), "label": label or ""}, _person_label(
            subject
        )
    return {"type": subject_type, "id": str(subject.pk), "label": (label or str(subject))[:200]}, ""


def _firms(firms: Iterable[Any]) -> list[dict]:
    seen: dict[int, dict] = {}
    for firm in firms:
        if firm is None:
            continue
        if isinstance(firm, models.Model):
            seen[firm.pk] = {"id": firm.pk, "code": getattr(firm, "credit_code", "") or ""}
        elif isinstance(firm, Mapping):  # as another event names it
            seen[int(firm["id"])] = {"id": int(firm["id"]), "code": str(firm.get("code") or "")}
        else:
            seen.setdefault(int(firm), {"id": int(firm), "code": ""})
    return [seen[key] for key in sorted(seen)]


def _persons(persons: Iterable[Any]) -> tuple[list[int], dict[str, str]]:
    ids: set[int] = set()
    names: dict[str, str] = {}
    for person in persons:
        if type(person) is int:  # the common case: a recompute names thousands by id
            ids.add(person)
            continue
        if person is None:
            continue
        if isinstance(person, models.Model):
            ids.add(person.pk)
            names[str(person.pk)] = _person_label(person)
        else:
            ids.add(int(person))
    return sorted(ids), names


def record(
    event_type: str,
    *,
    subject: Any = None,
    subject_label: str | None = None,
    actor: Any = None,
    firms: Iterable[Any] = (),
    persons: Iterable[Any] = (),
    payload: Mapping[str, Any] | None = None,
    personal: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (which must be open).

    ``subject``: the model instance the event is about (or ``("app.model", pk)``);
    ``actor``: a user, an API token, a task name, or None for whoever the request or task
    belongs to; ``firms`` and ``persons``: Firm/User instances or ids (firms also as another
    event's ``{"id", "code"}``) the event concerns (the
    trails and exports select on them); ``payload``: the facts, no personal data;
    ``personal``: any further personal data (kept out of the hashed body, maskable).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown audit event type {event_type!r} (add it to events.py)")
    if not connection.in_atomic_block:
        raise RuntimeError("record() must run inside the transaction that makes the change")
    who = actor_for(actor)
    subject_body, subject_person = _subject(subject, subject_label)
    firm_list = _firms(firms)
    person_ids, person_names = _persons(persons)
    personal_data: dict[str, Any] = dict(jsonable(dict(personal or {})))
    if who.personal_label:
        personal_data["actor"] = who.personal_label
    if subject_person:
        personal_data["subject"] = subject_person
    if person_names:
        personal_data["persons"] = person_names
    if personal_data:
        personal_data["salt"] = secrets.token_hex(16)
        # Refuses what the verifier could not read; the rest is RFC 8785 (see below).
        digest = verifier.sha256_hex(verifier.canonical_json(personal_data))
    else:
        personal_data, digest = {}, ""
    body_payload = jsonable(dict(payload or {}))
    request_id = context.current_request_id.get()[:64]

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, verifier.GENESIS_HASH)
        now = timezone.now()
        body = {
            "v": verifier.FORMAT_VERSION,
            "seq": seq,
            "time": _time(now),
            "type": event_type,
            "actor": who.as_body(),
            "subject": subject_body,
            "firms": firm_list,
            "persons": person_ids,
            "request_id": request_id,
            "payload": body_payload,
            "personal_digest": digest or None,
        }
        # The standalone verifier reads a subset of RFC 8785 (no floats, ASCII keys): refuse
        # here, before writing, anything it could not recompute, or one bad payload would make
        # the whole log unverifiable (and no checkpoint could be signed after it). Within the
        # subset its canonical form is exactly the ``rfc8785`` package's (a property test says
        # so), at C speed: a rating recompute's events list thousands of collectors each.
        event_hash = verifier.link_hash(
            verifier.sha256_hex(verifier.canonical_json(body)), prev_hash
        )
        event = AuditEvent.objects.create(
            seq=seq,
            occurred_at=now,
            event_type=event_type,
            actor_kind=who.kind,
            actor_id=who.id,
            actor_label=who.label,
            subject_type=subject_body["type"],
            subject_id=subject_body["id"],
            subject_label=subject_body["label"],
            firms=firm_list,
            persons=person_ids,
            request_id=request_id,
            payload=body_payload,
            personal=personal_data or None,
            personal_digest=digest,
            prev_hash=prev_hash,
            hash=event_hash,
        )
        _index(EventFirm, "firm_id", seq, [f["id"] for f in firm_list])
        _index(EventPerson, "person_id", seq, person_ids)
    return event


def _index(model: type[models.Model], column: str, seq: int, ids: list[int]) -> None:
    """Insert the event's index rows in one statement, without building a model per row: a
    rating recompute's event names thousands of collectors per chunk, and ``bulk_create``
    spent most of the chunk's audit cost building and preparing those instances."""
    if not ids:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    event_column = quote("event_id")  # the ``event`` foreign key of both index models
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({event_column}, {quote(column)}) "
                "SELECT %s, unnest(%s::bigint[])",
                [seq, bigint_array(ids)],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({event_column}, {quote(column)}) VALUES (%s, %s)",
                [(seq, pk) for pk in ids],
            )


def event_record(event: AuditEvent | Mapping[str, Any]) -> dict:
    """An event as the verifier and the export read it (the body fields plus the chain)."""
    row = event if isinstance(event, Mapping) else event.__dict__
    occurred = row["occurred_at"]
    return {
        "v": verifier.FORMAT_VERSION,
        "seq": row["seq"],
        "time": _time(occurred) if isinstance(occurred, dt.datetime) else occurred,
        "type": row["event_type"],
        "actor": Actor(row["actor_kind"], row["actor_id"], row["actor_label"]).as_body(),
        "subject": {
            "type": row["subject_type"],
            "id": row["subject_id"],
            "label": row["subject_label"],
        },
        "firms": row["firms"],
        "persons": row["persons"],
        "request_id": row["request_id"],
        "payload": row["payload"],
        "personal_digest": row["personal_digest"] or None,
        "personal": row["personal"],
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }
