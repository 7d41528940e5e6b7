"""Audit events of compliance decisions, each through the path people take: findings recorded,
confirmed, dismissed, appealed and their appeals decided (admin and firm screens), rating
snapshots written (the command, the event-driven task), API tokens created and revoked (admin,
``create_api_token``), webhook secrets rotated (admin). One event per action, with its subject,
actor, firms, persons and facts; none when the action is refused or rolled back."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.auditlog.models import AuditEvent
from lms.auditlog.verification import verify_database
from lms.compliance import findings, formula, recompute
from lms.compliance.models import (
    ApiScope,
    ApiToken,
    Appeal,
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    FirmRatingSnapshot,
    RatingSnapshot,
    Severity,
    WebhookSubscription,
)
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.factories import make_finding
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTE = "录音证实，债务人姓名：王五。"  # free text may name people: never in the hashed facts


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def membership(firm, collector):
    return MembershipFactory(firm=firm, user=collector)


@pytest.fixture
def auditor_client(client, auditor):
    return signed_in(client, auditor)


@pytest.fixture
def admin_client(client, admin_user):
    return signed_in(client, admin_user)


def firms_of(*firms) -> list[dict]:
    return [{"id": firm.pk, "code": firm.credit_code} for firm in firms]


def assert_no_personal_facts(event: AuditEvent, *texts: str) -> None:
    body = str(event.payload) + event.subject_label + event.actor_label
    for text in texts:
        assert text not in body


# --- Findings -----------------------------------------------------------------------------------


def finding_form(collector, **overrides) -> dict:
    data = {
        "collector": collector.pk,
        "occurred_on": (timezone.localdate() - timezone.timedelta(days=2)).isoformat(),
        "firm": "",
        "source": FindingSource.FIELD_AUDIT,
        "category": FindingCategory.THREATS,
        "severity": Severity.CRITICAL,
        "description": "上门催收时威胁债务人王五的家属。",
        "regulation": "",
        "evidence": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_recording_a_finding_in_the_admin_writes_finding_recorded(
    auditor_client, auditor, collector, membership, firm
):
    response = auditor_client.post(reverse("compliance_findings:add"), finding_form(collector))

    assert response.status_code == 302, response.content.decode()[:2000]
    finding = Finding.objects.get()
    event = one_event(
        "finding.recorded",
        subject_type="compliance.finding",
        subject_id=str(finding.pk),
        subject_label=f"Finding #{finding.pk}",
        actor_kind="user",
        actor_id=str(auditor.pk),
        firms=firms_of(firm),
        persons=[collector.pk],
    )
    assert event.payload == {
        "finding": finding.pk,
        "severity": "critical",
        "category": "threats",
        "source": "field_audit",
        "occurred_on": finding.occurred_on.isoformat(),
        "regulation": None,
        "firm": firm.pk,
        "status": "open",
        "evidence": 0,
    }
    assert event.personal["description"] == "上门催收时威胁债务人王五的家属。"
    assert event.personal["persons"] == {str(collector.pk): "张三 <collector@example.com>"}
    assert_no_personal_facts(event, "王五", "张三", collector.email)


def test_a_refused_finding_form_writes_no_event(auditor_client, collector):
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = auditor_client.post(
        reverse("compliance_findings:add"), finding_form(collector, occurred_on=tomorrow)
    )

    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "event_type", "status"),
    [
        ("confirm", "finding.confirmed", FindingStatus.CONFIRMED),
        ("dismiss", "finding.dismissed", FindingStatus.DISMISSED),
    ],
)
def test_deciding_a_finding_in_the_admin_writes_one_event(
    auditor_client, auditor, collector, membership, firm, action, event_type, status
):
    finding = make_finding(collector, by=auditor)
    url = reverse(f"compliance_findings:{action}", args=[finding.pk])

    assert auditor_client.post(url, {"note": " "}).status_code == 200  # refused: no note
    assert events_of(event_type) == []
    assert auditor_client.post(url, {"note": NOTE}).status_code == 302
    assert auditor_client.post(url, {"note": "again"}).status_code == 200  # decided already

    event = one_event(
        event_type,
        subject_type="compliance.finding",
        subject_id=str(finding.pk),
        actor_kind="user",
        actor_id=str(auditor.pk),
        firms=firms_of(firm),
        persons=[collector.pk],
    )
    assert event.payload["from"] == "open"
    assert event.payload["to"] == status
    assert event.payload["certificates"] == {}
    assert event.personal["note"] == NOTE
    assert_no_personal_facts(event, "王五")
    assert [e.event_type for e in AuditEvent.objects.order_by("seq")] == [
        "finding.recorded",
        event_type,
    ]


def test_a_collector_appealing_writes_finding_appealed(
    client, auditor, collector, membership, firm
):
    finding = findings.confirm(make_finding(collector), by=auditor, note="确认")
    client.force_login(collector)
    url = reverse("findings:appeal_mine", args=[finding.pk])

    assert client.post(url, {"grounds": "当晚我在休假，王五可作证。"}).status_code == 302
    client.post(url, {"grounds": "再次申诉"})  # refused: once only

    appeal = Appeal.objects.get()
    event = one_event(
        "finding.appealed",
        subject_id=str(finding.pk),
        actor_kind="user",
        actor_id=str(collector.pk),
        firms=firms_of(firm),
        persons=[collector.pk],
    )
    assert event.payload["appeal"] == appeal.pk
    assert (event.payload["from"], event.payload["to"]) == ("confirmed", "appealed")
    assert event.payload["by_collector"] is True
    assert event.personal["grounds"] == "当晚我在休假，王五可作证。"
    assert_no_personal_facts(event, "王五")


def test_a_manager_appealing_is_the_actor_and_the_collector_the_person(
    client, manager, collector, membership, firm
):
    MembershipFactory(firm=firm, user=manager, role="manager")
    finding = make_finding(collector)
    client.force_login(manager)

    response = client.post(
        reverse("findings:appeal_firm", args=[finding.pk]), {"grounds": "通话记录显示未越时。"}
    )

    assert response.status_code == 302
    event = one_event("finding.appealed", actor_id=str(manager.pk), persons=[collector.pk])
    assert event.payload["by_collector"] is False
    assert event.payload["appellant"] == manager.pk


@pytest.mark.parametrize(("outcome", "final"), [("upheld", "dismissed"), ("rejected", "confirmed")])
def test_deciding_an_appeal_in_the_admin_writes_appeal_decided(
    auditor_client, auditor, collector, membership, firm, outcome, final
):
    finding = make_finding(collector)
    appeal = findings.appeal(finding, by=collector, grounds="不是我")
    url = reverse("compliance_findings:decide_appeal", args=[finding.pk])

    response = auditor_client.post(url, {"outcome": outcome, "note": NOTE})

    assert response.status_code == 302
    event = one_event(
        "appeal.decided",
        subject_type="compliance.finding",
        subject_id=str(finding.pk),
        actor_id=str(auditor.pk),
        firms=firms_of(firm),
        persons=[collector.pk],
    )
    assert event.payload["appeal"] == appeal.pk
    assert event.payload["outcome"] == outcome
    assert (event.payload["from"], event.payload["to"]) == ("appealed", final)
    assert event.personal["note"] == NOTE
    # The decision is one event: no finding.confirmed/dismissed beside it.
    assert events_of("finding.confirmed") == events_of("finding.dismissed") == []
    with pytest.raises(findings.FindingError):
        findings.decide_appeal(finding, by=auditor, outcome=outcome, note="again")
    assert len(events_of("appeal.decided")) == 1


@pytest.mark.parametrize("action", ["confirm", "dismiss", "appeal", "decide_appeal"])
def test_a_decision_rolled_back_after_its_event_leaves_neither(
    monkeypatch, auditor, collector, membership, action
):
    finding = make_finding(collector, by=auditor)
    if action == "decide_appeal":
        findings.appeal(finding, by=collector, grounds="不是我")
    before = AuditEvent.objects.count()

    def fail(*args, **kwargs):  # the last step inside the transaction, after the event
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(findings, "_announce", fail)
    calls = {
        "confirm": lambda: findings.confirm(finding, by=auditor, note="x"),
        "dismiss": lambda: findings.dismiss(finding, by=auditor, note="x"),
        "appeal": lambda: findings.appeal(finding, by=collector, grounds="x"),
        "decide_appeal": lambda: findings.decide_appeal(
            finding, by=auditor, outcome="upheld", note="x"
        ),
    }
    status = Finding.objects.get().status
    with pytest.raises(RuntimeError):
        calls[action]()

    assert AuditEvent.objects.count() == before
    assert Finding.objects.get().status == status


def test_a_finding_recorded_inside_a_rolled_back_transaction_leaves_no_event(collector):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_finding(collector)
        raise RuntimeError("the caller fails afterwards")

    assert not AuditEvent.objects.exists()
    assert not Finding.objects.exists()


# --- Rating snapshots ---------------------------------------------------------------------------


def ids_in(ranges: list[list[int]]) -> list[int]:
    return [pk for first, last in ranges for pk in range(first, last + 1)]


def test_snapshot_ids_are_kept_as_exact_ranges():
    assert recompute.id_ranges([7, 3, 4, 5, 9, 10]) == [[3, 5], [7, 7], [9, 10]]
    assert recompute.id_ranges([]) == []


def rated_collectors(firm, count: int):
    return [MembershipFactory(firm=firm).user for _ in range(count)]


def test_the_recompute_command_writes_one_event_per_chunk_referencing_its_snapshots(
    monkeypatch, firm
):
    people = rated_collectors(firm, 3)
    chunks = recompute._chunks
    monkeypatch.setattr(recompute, "_chunks", lambda ids, size: chunks(ids, 2))  # 2 + 1

    call_command("recompute_ratings", stdout=StringIO())

    events = events_of("rating.snapshots_written")
    collector_events = [e for e in events if e.payload["kind"] == "collector"]
    firm_events = [e for e in events if e.payload["kind"] == "firm"]
    assert len(collector_events) == 2 and len(firm_events) == 1
    snapshots = dict(RatingSnapshot.objects.values_list("pk", "user_id"))
    referenced = [pk for e in collector_events for pk in ids_in(e.payload["snapshots"])]
    assert sorted(referenced) == sorted(snapshots)
    for event in collector_events:
        assert event.persons == sorted(snapshots[pk] for pk in ids_in(event.payload["snapshots"]))
        assert event.firms == [{"id": firm.pk, "code": ""}]
        assert event.payload["formula_version"] == formula.FORMULA_VERSION
        assert event.payload["reason"] == recompute.MANUAL
        assert event.payload["model"] == "compliance.ratingsnapshot"
        assert (event.actor_kind, event.subject_type) == ("system", "")
        # References, not copies: no score or grade in the event.
        assert set(event.payload) == {"kind", "model", "snapshots", "formula_version", "reason"}
    assert sorted(p for e in collector_events for p in e.persons) == sorted(p.pk for p in people)
    firm_snapshot = FirmRatingSnapshot.objects.get()
    assert firm_events[0].payload["snapshots"] == [[firm_snapshot.pk, firm_snapshot.pk]]
    assert firm_events[0].firms == [{"id": firm.pk, "code": ""}]
    assert firm_events[0].persons == []
    assert verify_database().ok

    call_command("recompute_ratings", stdout=StringIO())  # nothing changed: nothing written
    assert len(events_of("rating.snapshots_written")) == 3


def test_a_finding_confirmed_recomputes_and_the_task_is_the_actor(
    auditor, collector, membership, firm, django_capture_on_commit_callbacks
):
    recompute.full()
    finding = make_finding(collector, by=auditor)
    before = len(events_of("rating.snapshots_written"))

    with django_capture_on_commit_callbacks(execute=True):
        findings.confirm(finding, by=auditor, note="确认")

    new = events_of("rating.snapshots_written")[before:]
    collector_event = next(e for e in new if e.payload["kind"] == "collector")
    snapshot = RatingSnapshot.objects.filter(user=collector).latest("pk")
    assert collector_event.payload["snapshots"] == [[snapshot.pk, snapshot.pk]]
    assert collector_event.payload["reason"] == "finding_confirmed"
    assert collector_event.persons == [collector.pk]
    assert collector_event.actor_kind == "system"
    assert collector_event.actor_id == "lms.compliance.tasks.ratings.recompute_collectors"


def test_a_recompute_chunk_that_fails_leaves_no_snapshot_and_no_event(monkeypatch, firm):
    rated_collectors(firm, 2)

    def fail(**kwargs):  # built after the event, inside the chunk's transaction
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(recompute, "RatingChange", fail)
    with pytest.raises(RuntimeError):
        recompute.full()

    assert not RatingSnapshot.objects.exists()
    assert not AuditEvent.objects.exists()


# --- API tokens ---------------------------------------------------------------------------------


def test_creating_a_token_in_the_admin_writes_api_token_created(admin_client, admin_user, firm):
    response = admin_client.post(
        reverse("compliance_api_tokens:add"),
        {
            "firm": firm.pk,
            "name": "Collection platform",
            "scopes": [ApiScope.COLLECTORS_READ, ApiScope.RATINGS_READ],
            "expires_at": "",
        },
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    key = response.content.decode().split('id="shown-once-secret"')[1].split('value="')[1]
    key = key.split('"')[0]
    event = one_event(
        "api_token.created",
        subject_type="compliance.apitoken",
        subject_id=str(token.pk),
        subject_label=f"API token {token.prefix}…",
        actor_kind="user",
        actor_id=str(admin_user.pk),
        firms=firms_of(firm),
        persons=[],
    )
    assert event.payload == {
        "token": token.pk,
        "prefix": token.prefix,
        "scopes": ["collectors:read", "ratings:read"],
        "expires_at": None,
        "created_by": admin_user.pk,
    }
    stored = str(AuditEvent.objects.values().get())
    assert key not in stored and token.key_hash not in stored


def test_a_refused_token_form_writes_no_event(admin_client, firm):
    response = admin_client.post(
        reverse("compliance_api_tokens:add"),
        {"firm": firm.pk, "name": "x", "scopes": [], "expires_at": ""},
    )

    assert response.status_code == 200
    assert not AuditEvent.objects.exists()


def test_the_command_writes_api_token_created_naming_itself(firm):
    out = StringIO()
    call_command(
        "create_api_token", "--firm", firm.credit_code, "--scope", "ratings:read", stdout=out
    )

    token = ApiToken.objects.get()
    event = one_event(
        "api_token.created",
        subject_id=str(token.pk),
        actor_kind="system",
        actor_id="manage.py create_api_token",
        firms=firms_of(firm),
    )
    assert event.payload["scopes"] == ["ratings:read"]
    assert out.getvalue().strip().splitlines()[-1] not in str(AuditEvent.objects.values().get())

    with pytest.raises(CommandError):
        call_command("create_api_token", "--firm", firm.credit_code, "--scope", "nope")
    assert len(events_of("api_token.created")) == 1


def test_revoking_a_token_in_the_admin_writes_api_token_revoked_once(
    admin_client, admin_user, firm
):
    token, _key = ApiToken.issue(firm=firm, name="Platform", scopes=[ApiScope.RATINGS_READ])
    url = reverse("compliance_api_tokens:revoke", args=[token.pk])

    assert admin_client.get(url).status_code == 200  # asking writes nothing
    assert events_of("api_token.revoked") == []
    assert admin_client.post(url).status_code == 302
    assert admin_client.post(url).status_code == 302  # already revoked: nothing to record
    token.refresh_from_db()
    assert token.revoke(by=admin_user) is False

    event = one_event(
        "api_token.revoked",
        subject_type="compliance.apitoken",
        subject_id=str(token.pk),
        actor_kind="user",
        actor_id=str(admin_user.pk),
        firms=firms_of(firm),
    )
    assert event.payload == {"token": token.pk, "prefix": token.prefix, "scopes": ["ratings:read"]}


def test_a_revocation_rolled_back_leaves_the_token_usable_and_no_event(firm):
    token, _key = ApiToken.issue(firm=firm, name="Platform", scopes=[ApiScope.RATINGS_READ])

    with pytest.raises(RuntimeError), transaction.atomic():
        token.revoke()
        raise RuntimeError("the caller fails afterwards")

    token.refresh_from_db()
    assert token.revoked_at is None
    assert events_of("api_token.revoked") == []


# --- Webhook secrets ----------------------------------------------------------------------------


def test_rotating_a_webhook_secret_in_the_admin_writes_one_event_without_secrets(
    admin_client, admin_user, firm
):
    subscription = WebhookSubscription.objects.create(
        firm=firm, url="https://hooks.example.com/in?key=abc", events=["rating.changed"]
    )
    old = subscription.secret
    url = reverse("compliance_webhook_subscriptions:rotate", args=[subscription.pk])

    assert admin_client.get(url).status_code == 200
    assert not AuditEvent.objects.exists()
    assert admin_client.post(url).status_code == 200

    subscription.refresh_from_db()
    event = one_event(
        "webhook.secret_rotated",
        subject_type="compliance.webhooksubscription",
        subject_id=str(subscription.pk),
        subject_label=f"Webhook subscription #{subscription.pk}",
        actor_kind="user",
        actor_id=str(admin_user.pk),
        firms=firms_of(firm),
    )
    assert event.payload["subscription"] == subscription.pk
    assert event.payload["host"] == "hooks.example.com"
    assert event.payload["previous_secret_valid_until"].startswith(
        subscription.previous_secret_expires_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
    )
    stored = str(AuditEvent.objects.values().get())
    assert old not in stored and subscription.secret not in stored and "key=abc" not in stored


def test_a_rotation_rolled_back_keeps_the_secret_and_writes_no_event(firm):
    subscription = WebhookSubscription.objects.create(
        firm=firm, url="https://hooks.example.com/in", events=["rating.changed"]
    )
    old = subscription.secret

    with pytest.raises(RuntimeError), transaction.atomic():
        subscription.rotate_secret()
        raise RuntimeError("the caller fails afterwards")

    subscription.refresh_from_db()
    assert subscription.secret == old
    assert not AuditEvent.objects.exists()


def test_the_token_and_secret_methods_name_the_person_given_as_the_actor(firm):
    """Outside a request (the demo, a shell), the person passed is the actor."""
    user = UserFactory()
    token, _key = ApiToken.issue(firm=firm, name="a", scopes=["ratings:read"], created_by=user)
    token.revoke(by=user)
    WebhookSubscription.objects.create(firm=firm, url="https://h.example.com/").rotate_secret(
        by=user
    )
    assert [e.event_type for e in AuditEvent.objects.order_by("seq")] == [
        "api_token.created",
        "api_token.revoked",
        "webhook.secret_rotated",
    ]
    assert {e.actor_id for e in AuditEvent.objects.all()} == {str(user.pk)}
