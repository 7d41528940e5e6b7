"""A valid audit-log chain of any length, written fast: the verification benchmark's data.

Why not :func:`lms.auditlog.chain.record`: a million calls (each a transaction, a lock, three
inserts) would take longer than the benchmark. This writes the same rows — the same body
fields, hashed the same way, chained from the current head — with PostgreSQL's COPY (or
``executemany`` elsewhere). The append-only triggers refuse only UPDATE, DELETE and TRUNCATE, so
inserting is allowed. The index rows (EventFirm, EventPerson) are not written: verification
does not read them.

Events look like the platform's: a mix of types, actors that are people, tokens or tasks,
certificate and finding subjects with labels, one or two firms, collectors, payloads with a
few facts (scores as strings) and, for most, a salted personal part with its digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterator

from django.db import connection, transaction

from lms.auditlog import verifier
from lms.auditlog.events import EVENT_TYPES
from lms.auditlog.models import AuditEvent
from lms.auditlog.verification import ROW_FIELDS

# The event table's columns, in the order the rows below are built (the verifier reads them).
COLUMNS = ROW_FIELDS


def _canonical(value: object) -> bytes:
    # RFC 8785 for these values (ASCII keys, no floats): what verifier.canonical_json writes,
    # without its type check (the values are ours).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows(count: int, seq: int, prev_hash: str, start: dt.datetime, seed: int) -> Iterator[tuple]:
    rng = random.Random(seed)
    types = sorted(EVENT_TYPES)
    moment = start
    for _ in range(count):
        seq += 1
        moment += dt.timedelta(microseconds=rng.randrange(1, 2_000_000))
        time = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        event_type = types[seq % len(types)]
        kind = ("user", "system", "token")[seq % 3]
        actor_id = str(rng.randrange(1, 200_000)) if kind != "system" else "lms.tasks.nightly"
        actor_label = f"API token {actor_id}" if kind == "token" else ""
        firm = rng.randrange(1, 5_000)
        firms = [{"id": firm, "code": f"91310000{firm:010d}"}]
        if seq % 7 == 0:
            firms.append({"id": firm + 1, "code": ""})
        persons = sorted({rng.randrange(1, 1_000_000) for _ in range(1 + seq % 3)})
        subject_id = str(rng.randrange(1, 3_000_000))
        subject_label = f"SA-2026-{subject_id.zfill(7)}"
        payload = {
            "from": "valid",
            "to": "suspended",
            "score": f"{rng.randrange(0, 10_000) / 100:.2f}",
            "reason": "更新模块逾期未完成",
            "certificate_id": int(subject_id),
        }
        request_id = f"{rng.getrandbits(128):032x}"
        personal = None
        digest = ""
        if kind == "user" or seq % 2:
            personal = {
                "actor": f"张三{actor_id} <user{actor_id}@example.com>",
                "persons": {str(pk): f"李四{pk} <c{pk}@example.com>" for pk in persons},
                "salt": f"{rng.getrandbits(128):032x}",
            }
            digest = _sha(_canonical(personal))
        actor = {"kind": kind, "id": actor_id}
        if actor_label:
            actor["label"] = actor_label
        body = {
            "v": verifier.FORMAT_VERSION,
            "seq": seq,
            "time": time,
            "type": event_type,
            "actor": actor,
            "subject": {
                "type": "certificates.certificate",
                "id": subject_id,
                "label": subject_label,
            },
            "firms": firms,
            "persons": persons,
            "request_id": request_id,
            "payload": payload,
            "personal_digest": digest or None,
        }
        event_hash = _sha(_canonical({"body_hash": _sha(_canonical(body)), "prev_hash": prev_hash}))
        yield (
            seq,
            moment,
            event_type,
            kind,
            actor_id,
            actor_label,
            "certificates.certificate",
            subject_id,
            subject_label,
            json.dumps(firms, ensure_ascii=False),
            json.dumps(persons),
            request_id,
            json.dumps(payload, ensure_ascii=False),
            None if personal is None else json.dumps(personal, ensure_ascii=False),
            digest,
            prev_hash,
            event_hash,
        )
        prev_hash = event_hash


def seed_chain(count: int, *, seed: int = 16) -> tuple[int, str]:
    """Append ``count`` valid events after the current head; returns the new head (seq, hash)."""
    with transaction.atomic():
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = head if head else (0, verifier.GENESIS_HASH)
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        rows = _rows(count, seq, prev_hash, start, seed)
        last: tuple = (seq, prev_hash)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY auditlog_auditevent ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        last = row
            else:
                placeholders = ", ".join(["%s"] * len(COLUMNS))
                columns = ", ".join(COLUMNS)
                sql = f"INSERT INTO auditlog_auditevent ({columns}) VALUES ({placeholders})"
                batch: list[tuple] = []
                for row in rows:
                    batch.append((*row[:1], _sqlite_time(row[1]), *row[2:]))
                    last = row
                    if len(batch) == 10_000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
    return last[0], last[-1]


def _sqlite_time(moment: dt.datetime) -> str:
    # How Django stores an aware datetime in SQLite (naive UTC, ISO with a space).
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
