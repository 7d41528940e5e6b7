"""``manage.py verify_audit_log``: counts and exit 0, or the first bad event and exit 1; each
run kept as a VerificationRun. Also: the fast row reader reads exactly what the ORM reads, and
the parallel verification of a large log on PostgreSQL names the same first bad event."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import connection, connections, transaction

from bench.audit_chain import seed_chain
from lms.auditlog import verification
from lms.auditlog.chain import event_record, record
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.models import AuditEvent, VerificationRun

from .tamper import drop_triggers, execute, record_events

pytestmark = pytest.mark.django_db


def test_a_valid_log_prints_the_counts_and_is_kept_as_a_run(collector):
    record_events(4, persons=[collector])
    take_checkpoint()
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    head = AuditEvent.objects.get(seq=4).hash
    assert re.fullmatch(
        rf"OK: 4 events and 1 checkpoints verified in \d+\.\d s \(head: event 4, {head}\)\n",
        out.getvalue(),
    )
    run = VerificationRun.objects.get()
    assert (run.ok, run.events, run.checkpoints, run.first_bad_seq) == (True, 4, 1, None)
    assert run.started_at <= run.finished_at


def test_an_empty_log_verifies():
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert out.getvalue().startswith("OK: 0 events and 0 checkpoints verified")


def test_the_exit_status_from_the_command_line(capsys, monkeypatch):
    # run_from_argv closes the connections when done, which would end this test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    record_events(3)
    execute_from_command_line(["manage.py", "verify_audit_log"])  # returns: exit status 0
    assert capsys.readouterr().out.startswith("OK: 3 events")

    drop_triggers()
    execute("UPDATE auditlog_auditevent SET actor_id = 'someone' WHERE seq = 2")
    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "verify_audit_log"])
    assert exit_status.value.code == 1
    assert "FAILED at event 2: hash does not match" in capsys.readouterr().err


def test_the_fast_reader_reads_what_the_orm_reads(collector, admin_user):
    """The PostgreSQL reader formats the time and decodes the JSON itself: it must give the
    records event_record() makes from model instances (whole seconds included)."""
    record_events(2, firms=[3, 4], persons=[collector])
    with transaction.atomic():
        event = record(
            "certificate.revoked",
            actor=admin_user,
            subject=collector,
            payload={"reason": "作弊", "nested": {"b": [1, "x", None, True]}, "score": "90.00"},
            personal={"phone": "138-0000-0000"},
        )
    drop_triggers()
    execute(
        "UPDATE auditlog_auditevent SET occurred_at = %s WHERE seq = %s",
        [event.occurred_at.replace(microsecond=0), event.seq],
    )
    expected = [event_record(row) for row in AuditEvent.objects.order_by("seq")]
    assert list(verification.records()) == expected
    assert list(verification.records(after_seq=1, up_to=2)) == expected[1:2]


def test_the_bench_seeder_writes_a_valid_chain_after_the_recorded_events():
    record_events(2)
    assert seed_chain(500)[0] == 502
    record_events(1)
    result = verification.verify_database()
    assert (result.ok, result.events) == (True, 503), result.problem


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as the suite's others
def test_a_large_log_verified_in_parallel_parts_names_the_same_first_bad_event(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("parallel verification is for PostgreSQL")
    monkeypatch.setattr(verification, "PARALLEL_FROM", 100)
    monkeypatch.setattr(verification, "MAX_WORKERS", 3)
    monkeypatch.setattr(verification.os, "cpu_count", lambda: 3)
    seed_chain(900)
    take_checkpoint()
    calls = []
    original = verification._verify_in_parts
    monkeypatch.setattr(
        verification,
        "_verify_in_parts",
        lambda *args: calls.append(args[2]) or original(*args),
    )
    result = verification.verify_database()
    assert (result.ok, result.events, result.checkpoints) == (True, 900, 1)
    assert calls == [3]  # parts (0, 300], (300, 600], (600, ...)

    drop_triggers()
    # The last event of the second part, and a later one in the third.
    execute("UPDATE auditlog_auditevent SET subject_label = 'x' WHERE seq IN (600, 700)")
    result = verification.verify_database()
    assert (result.ok, result.first_bad_seq, result.events) == (False, 600, 599)
    # The first event of a part deleted: the part before ends early.
    execute("DELETE FROM auditlog_auditevent WHERE seq = 301")
    result = verification.verify_database()
    assert (result.first_bad_seq, result.problem) == (301, "expected event 301, found 302")
    # A part's last rows deleted (its boundary row too): the first missing one is named, as
    # one walk would name it.
    execute("DELETE FROM auditlog_auditevent WHERE seq BETWEEN 280 AND 300")
    result = verification.verify_database()
    assert (result.first_bad_seq, result.problem) == (280, "expected event 280, found none")
