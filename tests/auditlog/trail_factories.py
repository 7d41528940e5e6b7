"""Events, checkpoints and verification runs for the admin trail tests, written the way the
services write them: through ``lms.auditlog.chain.record`` in a transaction."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lms.auditlog import chain, triggers
from lms.auditlog.models import AuditEvent, Checkpoint, VerificationRun


def record(event_type: str = "certificate.issued", **kwargs: Any) -> AuditEvent:
    with transaction.atomic():
        return chain.record(event_type, **kwargs)


def record_at(moment: dt.datetime, event_type: str = "certificate.issued", **kwargs: Any):
    """An event stamped ``moment`` (the chain takes its time from ``timezone.now()``)."""
    original = chain.timezone
    chain.timezone = SimpleNamespace(now=lambda: moment)  # type: ignore[assignment]
    try:
        return record(event_type, **kwargs)
    finally:
        chain.timezone = original


def checkpoint(seq: int, *, at: dt.datetime | None = None) -> Checkpoint:
    """A checkpoint row as the trail pages read it (its signature is not checked there)."""
    head = AuditEvent.objects.get(seq=seq)
    document = {"type": "SunshineAcademyAuditCheckpoint", "seq": seq, "hash": head.hash}
    return Checkpoint.objects.create(
        seq=seq,
        hash=head.hash,
        created_at=at or timezone.now(),
        public_key="z6MkTest",
        document=document,
        signature="00" * 64,
    )


def verification(ok: bool = True, *, events: int = 0, first_bad_seq: int | None = None):
    now = timezone.now()
    return VerificationRun.objects.create(
        started_at=now,
        finished_at=now,
        ok=ok,
        events=events,
        checkpoints=0,
        first_bad_seq=first_bad_seq,
        problem="" if ok else "hash does not match the event's content",
    )


def tamper(sql: str, params: list) -> None:
    """What someone with database access does: drop the triggers, edit, put them back."""
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)
        cursor.execute(sql, params)
        for statement in triggers.install_statements(connection.vendor):
            cursor.execute(statement)
