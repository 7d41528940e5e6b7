"""Verifying a million-event audit log takes under a minute on PostgreSQL (issue 16).

``bench.audit_chain.seed_chain`` writes a valid chain of ``AUDIT_BENCH_EVENTS`` events
(default 1,000,000) in ten parts, with a signed checkpoint after each; then
``manage.py verify_audit_log`` recomputes every hash and checks the ten signatures, as an
operator would run it. Prints ``BENCH audit_verify ...``. Needs a PostgreSQL ``DATABASE_URL``;
run with ``make bench``.
"""

from __future__ import annotations

import os
import re
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.audit_chain import seed_chain
from lms.auditlog import verifier
from lms.auditlog.checkpoints import sign_document
from lms.auditlog.models import Checkpoint, VerificationRun
from lms.lib.signing_keys import current_signing_key

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

EVENTS = int(os.environ.get("AUDIT_BENCH_EVENTS", "1000000"))
PARTS = 10
LIMIT = 60.0  # seconds, from the issue


def signed_checkpoint(seq: int, head_hash: str) -> None:
    key = current_signing_key()
    now = timezone.now()
    document = {
        "type": verifier.CHECKPOINT_TYPE,
        "seq": seq,
        "hash": head_hash,
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key": key.public_multikey,
    }
    Checkpoint.objects.create(
        seq=seq,
        hash=head_hash,
        created_at=now,
        public_key=key.public_multikey,
        document=document,
        signature=sign_document(document),
    )


def test_verify_audit_log_checks_a_million_events_in_under_a_minute(report):
    if connection.vendor != "postgresql":
        pytest.skip("the audit-log benchmark runs on PostgreSQL (set DATABASE_URL)")
    started = time.perf_counter()
    for part in range(PARTS):
        seq, head_hash = seed_chain(EVENTS // PARTS, seed=part)
        signed_checkpoint(seq, head_hash)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE auditlog_auditevent")
    seeded = time.perf_counter() - started

    out = StringIO()
    started = time.perf_counter()
    call_command("verify_audit_log", stdout=out)
    seconds = time.perf_counter() - started

    output = out.getvalue()
    assert re.match(rf"OK: {EVENTS} events and {PARTS} checkpoints verified", output), output
    run = VerificationRun.objects.get()
    assert run.ok and run.events == EVENTS and run.checkpoints == PARTS
    # The machine's load during the run: other processes' work slows the figure down.
    load = os.getloadavg()[0]
    report(
        f"BENCH audit_verify events={EVENTS} checkpoints={PARTS} seconds={seconds:.1f} "
        f"events_per_second={EVENTS / seconds:,.0f} seeded_in={seeded:.1f}s limit={LIMIT:.0f}s "
        f"cpus={os.cpu_count()} load_1min={load:.1f}"
    )
    assert seconds < LIMIT
