"""Verifying the audit log in the database: the chain, then every checkpoint's signature.

The same functions as the standalone verifier (:mod:`lms.auditlog.verifier`) decide; this module
only reads the rows in order, in chunks, so a million events stay within memory and time.

On PostgreSQL the rows come through a server-side cursor as plain tuples: the time formatted by
the database in the chain's own form and the four JSON columns as one JSON text, decoded with a
single ``json.loads`` per row. Going through the ORM (a datetime and four JSONField decodings
per row, then formatting the time back) doubled the time of a million-event verification.
Elsewhere (SQLite) the ORM reads them.

A large log on PostgreSQL is verified in parts by parallel processes (one per CPU, at most
:data:`MAX_WORKERS`): each part starts from the stored hash of the event before it, and the
part before checked that stored hash, so the parts together check exactly what one walk
would, and the earliest failing part names the first bad event.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator

from django.db import connection, connections
from django.db.models import Max
from django.utils import timezone

from lms.lib.signing_keys import published_public_keys

from . import verifier
from .chain import event_record
from .models import AuditEvent, Checkpoint, VerificationRun

ROW_FIELDS = (
    "seq",
    "occurred_at",
    "event_type",
    "actor_kind",
    "actor_id",
    "actor_label",
    "subject_type",
    "subject_id",
    "subject_label",
    "firms",
    "persons",
    "request_id",
    "payload",
    "personal",
    "personal_digest",
    "prev_hash",
    "hash",
)
CHUNK_SIZE = 10_000
PARALLEL_FROM = 200_000  # events; below this, one process is quicker than starting others
MAX_WORKERS = 4
_NO_END = 2**62

# The chain's time format (chain._time: UTC, microseconds, "Z") written by PostgreSQL itself.
_POSTGRESQL_ROWS = """
    SELECT seq,
           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           event_type, actor_kind, actor_id, actor_label,
           subject_type, subject_id, subject_label, request_id,
           jsonb_build_array(firms, persons, payload, personal)::text,
           personal_digest, prev_hash, hash
      FROM auditlog_auditevent
     WHERE seq > %s AND seq <= %s
     ORDER BY seq
"""


def records(*, after_seq: int = 0, up_to: int | None = None) -> Iterator[dict]:
    """The events with ``after_seq < seq <= up_to``, in order, as the verifier reads them
    (the same dictionaries as :func:`lms.auditlog.chain.event_record`)."""
    end = _NO_END if up_to is None else up_to
    if connection.vendor == "postgresql":
        yield from _postgresql_records(after_seq, end)
        return
    rows = (
        AuditEvent.objects.filter(seq__gt=after_seq, seq__lte=end)
        .order_by("seq")
        .values(*ROW_FIELDS)
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield event_record(row)


def _postgresql_records(after_seq: int, end: int) -> Iterator[dict]:
    loads = json.loads
    version = verifier.FORMAT_VERSION
    # A named (server-side) cursor: the rows arrive CHUNK_SIZE at a time.
    with connection.chunked_cursor() as cursor:
        cursor.execute(_POSTGRESQL_ROWS, [after_seq, end])
        while rows := cursor.fetchmany(CHUNK_SIZE):
            for (
                seq,
                time,
                event_type,
                actor_kind,
                actor_id,
                actor_label,
                subject_type,
                subject_id,
                subject_label,
                request_id,
                json_columns,
                digest,
                prev_hash,
                event_hash,
            ) in rows:
                firms, persons, payload, personal = loads(json_columns)
                actor = {"kind": actor_kind, "id": actor_id}
                if actor_label:
                    actor["label"] = actor_label
                yield {
                    "v": version,
                    "seq": seq,
                    "time": time,
                    "type": event_type,
                    "actor": actor,
                    "subject": {"type": subject_type, "id": subject_id, "label": subject_label},
                    "firms": firms,
                    "persons": persons,
                    "request_id": request_id,
                    "payload": payload,
                    "personal_digest": digest or None,
                    "personal": personal,
                    "prev_hash": prev_hash,
                    "hash": event_hash,
                }


# Kept for callers of the first version of this module.
_records = records


def trusted_keys() -> list[str]:
    """The platform's current public key and the retired ones it still vouches for."""
    return published_public_keys()


def verify_range(*, after_seq: int, prev_hash: str, up_to: int | None = None) -> verifier.Result:
    """Verify the events after ``after_seq`` chaining from ``prev_hash`` (a checkpoint's hash).

    With no events in the range, the result's head is the starting point itself.
    """
    result = verifier.verify_chain(
        records(after_seq=after_seq, up_to=up_to),
        start_prev_hash=prev_hash,
        start_seq=after_seq + 1,
    )
    if result.ok and result.events == 0:
        result.head_seq, result.head_hash = after_seq, prev_hash
    return result


def verify_database(extra_checkpoints: Iterable[dict] = ()) -> verifier.Result:
    """Recompute the whole chain and check every checkpoint; the first mismatch wins.

    ``extra_checkpoints``: published checkpoints kept elsewhere (a copy of
    ``/audit/checkpoints.json``), checked like the database's own.
    """
    checkpoints = [cp.as_published() for cp in Checkpoint.objects.order_by("seq", "id")]
    checkpoints.extend(extra_checkpoints)
    seqs = {cp["document"].get("seq") for cp in checkpoints if isinstance(cp.get("document"), dict)}
    workers = _parallel_workers()
    last_seq = 0
    if workers > 1:
        last_seq = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    if last_seq >= PARALLEL_FROM:
        result = _verify_in_parts(last_seq, seqs, workers)
    else:
        result = verifier.verify_chain(records(), keep_hashes=seqs)
    if result.ok:
        verifier.check_checkpoints(result, checkpoints, trusted_keys())
    return result


def _parallel_workers() -> int:
    """How many processes may verify: 1 unless on PostgreSQL, outside a transaction (other
    processes would not see its rows) and in a process allowed children (not a daemonic
    Celery worker process)."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or multiprocessing.current_process().daemon
    ):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _verify_in_parts(last_seq: int, keep_hashes: set, workers: int) -> verifier.Result:
    bounds = [last_seq * part // workers for part in range(workers)]
    parts = [
        (start, bounds[index + 1] if index + 1 < workers else None, keep_hashes)
        for index, start in enumerate(bounds)
    ]
    connections.close_all()  # the children must not share this process's connections
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        outcomes = pool.map(_verify_part, parts, chunksize=1)
    merged = verifier.Result()
    for (start, end, _keep), outcome in zip(parts, outcomes, strict=True):
        merged.events += outcome.events
        merged.hashes.update(outcome.hashes)
        if not outcome.ok:
            return merged.fail(outcome.first_bad_seq, outcome.problem)
        expected_end = end if end is not None else last_seq
        reached = outcome.head_seq if outcome.events else start
        if reached != expected_end:
            # The part's last rows are gone: the first missing one is the first bad event.
            missing = reached + 1
            return merged.fail(missing, f"expected event {missing}, found none")
        merged.head_seq, merged.head_hash = outcome.head_seq, outcome.head_hash
    return merged


def _verify_part(part: tuple[int, int | None, set]) -> verifier.Result:
    """In a child process: the events after ``after_seq`` up to ``up_to``, chained from the
    stored hash of event ``after_seq`` (which the part before checked)."""
    after_seq, up_to, keep_hashes = part
    try:
        if after_seq == 0:
            prev_hash: str | None = verifier.GENESIS_HASH
        else:
            prev_hash = (
                AuditEvent.objects.filter(seq=after_seq).values_list("hash", flat=True).first()
            )
            if prev_hash is None:  # the part before ends early and reports it
                return verifier.Result().fail(after_seq, f"expected event {after_seq}, found none")
        return verifier.verify_chain(
            records(after_seq=after_seq, up_to=up_to),
            start_prev_hash=prev_hash,
            start_seq=after_seq + 1,
            keep_hashes=keep_hashes,
        )
    finally:
        connections.close_all()


def run_verification(
    extra_checkpoints: Iterable[dict] = (),
) -> tuple[verifier.Result, VerificationRun]:
    """A full verification, kept as a :class:`VerificationRun` (the admin shows the latest)."""
    started = timezone.now()
    result = verify_database(extra_checkpoints)
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        ok=result.ok,
        events=result.events,
        checkpoints=result.checkpoints,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem[:300],
    )
    return result, run
