"""The chain itself: appends link up, the database refuses edits, verification finds tampering."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from lms.auditlog import triggers, verifier
from lms.auditlog.chain import record
from lms.auditlog.models import AuditEvent
from lms.auditlog.verification import verify_database

pytestmark = pytest.mark.django_db


def _three(collector):
    with transaction.atomic():
        for n in range(3):
            record(
                "regulations.loaded",
                subject=("content.regulation", n),
                subject_label=f"art {n}",
                persons=[collector],
                payload={"n": n, "score": "87.50"},
            )


def test_appends_chain_from_genesis_and_verify(collector):
    _three(collector)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in events] == [1, 2, 3]
    assert events[0].prev_hash == verifier.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[0].personal["persons"] == {str(collector.pk): "张三 <collector@example.com>"}
    result = verify_database()
    assert result.ok, result.problem
    assert result.events == 3


# serialized_rollback: the data migrations' rows (groups, pages) are back after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        record("regulations.loaded")
    with transaction.atomic():
        record("regulations.loaded")
    assert AuditEvent.objects.count() == 1  # and the flush after this test empties the log


def test_unknown_type_and_floats_are_refused():
    with transaction.atomic():
        with pytest.raises(ValueError):
            record("no.such.event")
        with pytest.raises(TypeError):
            record("regulations.loaded", payload={"score": 87.5})


def test_rolled_back_change_leaves_no_event():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record("regulations.loaded")
        1 / 0  # noqa: B018
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("statement", ["UPDATE {t} SET event_type = 'x'", "DELETE FROM {t}"])
def test_database_refuses_update_and_delete(collector, statement):
    _three(collector)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement.format(t="auditlog_auditevent"))
    assert AuditEvent.objects.count() == 3


def _drop_triggers():
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)


def test_edited_row_is_found_with_the_trigger_dropped(collector):
    _three(collector)
    _drop_triggers()
    AuditEvent.objects.filter(seq=2).update(payload={"n": 99, "score": "87.50"})
    result = verify_database()
    assert not result.ok
    assert result.first_bad_seq == 2


def test_what_the_verifier_could_not_read_is_refused_before_it_is_written():
    """A non-ASCII key would be canonicalised by rfc8785 but not by the standalone verifier:
    written once, it would make the whole log unverifiable for good."""
    with transaction.atomic():
        with pytest.raises(verifier.NotCanonicalisable):
            record("regulations.loaded", payload={"条款": 1})
        with pytest.raises(verifier.NotCanonicalisable):
            record("regulations.loaded", personal={"姓名": "张三"})
    assert not AuditEvent.objects.exists()


def test_the_request_id_is_the_platforms_own_not_the_clients(client):
    response = client.get("/", HTTP_X_REQUEST_ID="13800138000-zhang-san")
    assert response["X-Request-ID"] != "13800138000-zhang-san"
    assert len(response["X-Request-ID"]) == 32
