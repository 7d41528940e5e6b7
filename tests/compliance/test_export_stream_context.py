"""Streamed roster exports after the view has returned (issue 17, review): the chunks' audit
events keep the request's id and actor, and an export that fails half-way cannot pass for a
whole file.

The rows are read and logged while the server iterates the response, when
AuditContextMiddleware has already reset its context; the test client iterates it the same
way (after the middleware has returned).
"""

from __future__ import annotations

import csv
import io
import logging
from functools import partial

import pytest
from django.db import DatabaseError
from django.urls import reverse

from lms.auditlog import context
from lms.auditlog.models import AuditEvent
from lms.compliance.dashboard import exports
from lms.lib import spreadsheet

from .dashboard_factories import rated_staff

CSV_URL = reverse("dashboard:export_csv")
XLSX_URL = reverse("dashboard:export_xlsx")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_export_chunks")]


@pytest.fixture
def staff(lender):
    return rated_staff([lender], 10)


def exported_events(after: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(seq__gt=after, event_type="personal_data.exported").order_by(
            "seq"
        )
    )


def last_seq() -> int:
    event = AuditEvent.objects.order_by("-seq").first()
    return event.seq if event else 0


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL], ids=["csv", "xlsx"])
def test_each_chunks_event_names_the_request_and_the_manager(client, boss, staff, url):
    client.force_login(boss)
    before = last_seq()
    response = client.get(url)
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert not exported_events(before)  # nothing read yet: the rows come as the file is sent
    b"".join(response.streaming_content)
    events = exported_events(before)
    assert len(events) == 3  # 10 rows in chunks of 4
    assert {event.request_id for event in events} == {request_id}
    assert {(event.actor_kind, event.actor_id) for event in events} == {("user", str(boss.pk))}
    # and nothing leaks into the context of whoever iterated the response
    assert context.current_request_id.get() == ""
    assert context.current_actor.get() is None


def test_keep_context_sets_the_views_context_around_each_step_only():
    seen = []

    def pieces():
        for n in range(3):
            seen.append((context.current_request_id.get(), context.current_actor.get()))
            yield n

    id_token = context.current_request_id.set("r-1")
    actor_token = context.current_actor.set("someone")
    try:
        kept = context.keep_context(pieces())
    finally:
        context.current_request_id.reset(id_token)
        context.current_actor.reset(actor_token)
    outside = []
    for _piece in kept:
        outside.append((context.current_request_id.get(), context.current_actor.get()))
    assert seen == [("r-1", "someone")] * 3
    assert outside == [("", None)] * 3


def test_keep_context_closes_its_source_when_closed():
    closed = []

    def pieces():
        try:
            yield from range(10)
        finally:
            closed.append(True)

    kept = context.keep_context(pieces())
    next(kept)
    kept.close()
    assert closed == [True]


def fail_on_chunk(monkeypatch, number: int) -> None:
    """The audit log's write for the ``number``-th chunk of rows fails (a lock timeout)."""
    real = exports.log_export
    calls = []

    def log_export(rows, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise DatabaseError("canceling statement due to lock timeout")
        return real(rows, **kwargs)

    monkeypatch.setattr(exports, "log_export", log_export)


def test_a_csv_failing_half_way_ends_marked_incomplete_and_raises(
    client, boss, staff, monkeypatch, caplog
):
    # CSV pieces of 4 rows, so the first chunk has been sent when the second fails.
    monkeypatch.setattr(exports, "stream_csv", partial(spreadsheet.stream_csv, batch=4))
    fail_on_chunk(monkeypatch, 2)
    client.force_login(boss)
    response = client.get(CSV_URL)
    assert response.status_code == 200  # the headers go before the rows are read
    received = []
    with caplog.at_level(logging.ERROR, logger="lms.compliance.dashboard.exports"):
        with pytest.raises(DatabaseError):  # the server aborts the chunked transfer
            for piece in response.streaming_content:
                received.append(piece)
    rows = list(csv.reader(io.StringIO(b"".join(received).decode("utf-8-sig"))))
    assert rows[0][0] == "Name"
    assert len(rows) == 1 + 4 + 1  # the header, the first chunk, the mark
    assert rows[-1][0].startswith("EXPORT INCOMPLETE")
    [logged] = [r for r in caplog.records if r.name == "lms.compliance.dashboard.exports"]
    assert logged.exc_info and response["X-Request-ID"] in logged.getMessage()


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL], ids=["csv", "xlsx"])
def test_an_export_failing_before_its_first_byte_sends_nothing(
    client, boss, staff, monkeypatch, url
):
    # Default pieces (500 CSV rows; an XLSX is sent once finished): nothing has gone out when
    # chunk 2 fails, so the server can still answer 500 instead of a short file.
    fail_on_chunk(monkeypatch, 2)
    client.force_login(boss)
    response = client.get(url)
    pieces = iter(response.streaming_content)
    with pytest.raises(DatabaseError):
        next(pieces)
