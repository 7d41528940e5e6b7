"""An auditor unmasking an event's personal part in the admin trail is a view of those people's
data: besides ``personal_data.viewed`` in the chain, each person's own access log (their
"my data" download) lists it — one audit event, not two."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lms.compliance.models import PersonalDataAccess
from tests.auditlog.helpers import events_of, one_event
from tests.conftest import signed_in
from tests.factories import FirmFactory

from .trail_factories import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding_event(collector, reviewer):
    return record(
        "finding.confirmed",
        actor=reviewer,
        subject=("compliance.finding", 12),
        subject_label="F-2026-0012",
        firms=[FirmFactory(name="阳光资产")],
        persons=[collector],
        payload={"from": "recorded", "to": "confirmed", "severity": "major"},
        personal={"phone": "13812345678"},
    )


def access_log(client, person, *, staff: bool = False) -> list[dict]:
    signed_in(client, person) if staff else client.force_login(person)
    response = client.get(reverse("my_data"))
    assert response.status_code == 200
    return json.loads(response.content)["personal_data_access_log"]


def test_the_persons_my_data_lists_the_auditors_unmasking(
    client, auditor, collector, reviewer, finding_event
):
    context = f"audit trail: event {finding_event.seq}"
    assert [e for e in access_log(client, collector) if e["context"] == context] == []
    client.logout()
    response = signed_in(client, auditor).post(
        reverse("auditlog_trail:event", args=[finding_event.seq])
    )
    assert response.status_code == 200
    viewed = one_event("personal_data.viewed", actor_id=str(auditor.pk))
    client.logout()

    for person in (collector, reviewer):  # the person concerned, and the person who acted
        log = access_log(client, person, staff=person == reviewer)
        entries = [e for e in log if e["context"] == context]
        assert entries == [
            {
                "viewer": {"kind": "person", "name": auditor.legal_name},
                "accessed_at": entries[0]["accessed_at"],
                "fields": ["actor", "persons", "phone"],
                "context": context,
            }
        ], person
        client.logout()
    # Written directly, not through log_access: still one audit event for the look (the
    # persons' own downloads add their own "exported" events, not "viewed" ones).
    assert events_of("personal_data.viewed") == [viewed]


def test_a_get_shows_it_masked_and_logs_no_access(client, auditor, collector, finding_event):
    signed_in(client, auditor).get(reverse("auditlog_trail:event", args=[finding_event.seq]))
    assert not PersonalDataAccess.objects.exists()


def test_the_access_rows_roll_back_with_the_event(monkeypatch, client, auditor, finding_event):
    """The rows are written in the event's transaction: no event, no rows."""
    from lms.auditlog import chain

    def fail(*args, **kwargs):
        raise RuntimeError("the event could not be appended")

    monkeypatch.setattr(chain, "record", fail)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        signed_in(client, auditor).post(reverse("auditlog_trail:event", args=[finding_event.seq]))
    assert not PersonalDataAccess.objects.exists()
