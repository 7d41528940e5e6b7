"""What an attacker with database access does: drop the append-only triggers, then edit rows."""

from __future__ import annotations

from django.db import connection, transaction

from lms.auditlog import triggers
from lms.auditlog.chain import record


def drop_triggers() -> None:
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def record_events(count: int, *, firms=(), persons=()) -> None:
    """``count`` events, each in its own transaction as services write them."""
    for number in range(count):
        with transaction.atomic():
            record(
                "regulations.loaded",
                subject=("content.regulation", number),
                subject_label=f"第{number}条",
                firms=firms,
                persons=persons,
                payload={"n": number, "score": "87.50", "reason": "法规库更新"},
            )
