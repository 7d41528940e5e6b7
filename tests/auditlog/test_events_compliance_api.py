"""The platform API in the audit log: unmasked personal data served to a token is a
``personal_data.viewed`` event naming the token as its actor, and the token authentication names
the token as the actor of anything else written during the call."""

from __future__ import annotations

import pytest

from lms.auditlog import chain
from lms.auditlog.models import AuditEvent
from lms.compliance import privacy
from lms.compliance.api import endpoints
from lms.compliance.models import ApiScope
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.api_factories import ALL_SCOPES, bearer, issue_token, make_collector, rate
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db

PERSONAL = [*ALL_SCOPES, ApiScope.PERSONAL_DATA]


@pytest.fixture
def firm():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def people(firm):
    other = FirmFactory(name="其他催收有限公司")
    outsider = make_collector(other, legal_name="李四")
    rate(outsider, "D", "40.00")
    found = [make_collector(firm, legal_name=name) for name in ("张小三", "王五")]
    for person in found:
        rate(person, "A", "91.00")
    return found


def api_events() -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.order_by("seq") if not e.event_type.startswith("api_")]


def test_listing_collectors_unmasked_writes_one_event_naming_the_token(client, firm, people):
    token, key = issue_token(firm, PERSONAL)

    response = client.get("/api/v1/collectors", **bearer(key))

    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {"张小三", "王五"}
    event = one_event(
        "personal_data.viewed",
        subject_type="",
        subject_label="2 people",
        actor_kind="token",
        actor_id=str(token.pk),
        actor_label=f"{token.prefix}…",
        firms=[{"id": firm.pk, "code": firm.credit_code}],
        persons=sorted(person.pk for person in people),
    )
    assert event.payload == {
        "fields": endpoints.PERSONAL_FIELDS,
        "context": "API GET /api/v1/collectors",
        "viewer_kind": "token",
        "subjects": 2,
    }
    assert "actor" not in event.personal  # a token is not a person
    assert event.request_id == response["X-Request-ID"]


def test_one_collector_unmasked_is_one_event_about_them(client, firm, people):
    token, key = issue_token(firm, PERSONAL)
    person = people[0]

    response = client.get(f"/api/v1/collectors/{person.pk}", **bearer(key))

    assert response.status_code == 200
    one_event(
        "personal_data.viewed",
        subject_type="accounts.user",
        subject_id=str(person.pk),
        actor_kind="token",
        actor_id=str(token.pk),
        persons=[person.pk],
    )


def test_masked_answers_and_refused_calls_write_nothing(client, firm, people):
    _token, masked_key = issue_token(firm, ALL_SCOPES)
    revoked, revoked_key = issue_token(firm, PERSONAL, name="Old")
    revoked.revoke()

    assert client.get("/api/v1/collectors", **bearer(masked_key)).status_code == 200
    assert client.get("/api/v1/collectors", **bearer(revoked_key)).status_code == 401
    assert client.get("/api/v1/collectors", **bearer(masked_key + "x")).status_code == 401

    assert api_events() == []


def test_the_token_is_the_actor_of_whatever_the_call_writes(client, firm, people, monkeypatch):
    """An event written during the call without naming an actor (here the access log called
    without its token) still names the token: the authentication set it for the request."""
    token, key = issue_token(firm, PERSONAL)
    seen = []

    def log_without_token(request, subjects, fields):
        seen.append(chain.actor_for(None))
        privacy.log_access(subjects, fields=fields, context="no token passed")

    monkeypatch.setattr(endpoints, "log_personal_data", log_without_token)

    assert client.get("/api/v1/collectors", **bearer(key)).status_code == 200

    assert seen == [chain.Actor("token", str(token.pk), f"{token.prefix}…")]
    event = one_event("personal_data.viewed", actor_kind="token", actor_id=str(token.pk))
    assert event.payload["viewer_kind"] == "none"
    # After the call, nobody is acting any more.
    assert chain.actor_for(None) == chain.Actor("system", chain.SYSTEM_ACTOR)
    assert events_of("personal_data.viewed")[0].actor_label == f"{token.prefix}…"
