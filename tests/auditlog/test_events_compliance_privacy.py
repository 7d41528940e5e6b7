"""Personal-data views and exports join the audit log: each call of ``privacy.log_access`` (the
firm dashboard's collector page and phone, roster exports, evidence downloads, "my data") writes
one event — ``personal_data.viewed``, or ``personal_data.exported`` for a file — whose persons are
the people seen, in the same transaction as the access-log rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import FirmKind
from lms.auditlog.models import AuditEvent
from lms.compliance import privacy
from lms.compliance.models import FindingEvidence, PersonalDataAccess
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.dashboard_factories import contract, make_collector, make_manager
from tests.compliance.factories import make_finding
from tests.conftest import activate_totp
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def boss(agency):
    return make_manager("boss@agency.example", "赵经理", agency)


@pytest.fixture
def staff(agency):
    return make_collector(agency, "张小三", phone="13812345678", employee_number="A-001")


def firms_of(*firms) -> list[dict]:
    return [{"id": firm.pk, "code": firm.credit_code} for firm in firms]


def personal_events() -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.order_by("seq") if e.event_type.startswith("personal")]


def test_the_collector_page_writes_personal_data_viewed(client, agency, boss, staff):
    client.force_login(boss)

    assert client.get(reverse("dashboard:collector", args=[staff.pk])).status_code == 200

    event = one_event(
        "personal_data.viewed",
        subject_type="accounts.user",
        subject_id=str(staff.pk),
        subject_label="",
        actor_kind="user",
        actor_id=str(boss.pk),
        firms=firms_of(agency),
        persons=[staff.pk],
    )
    assert event.payload == {
        "fields": ["legal_name", "employee_number", "rating", "certificates", "assignments"]
        + ["findings"],
        "context": "firm dashboard: collector page",
        "viewer_kind": "user",
        "subjects": 1,
    }
    assert event.personal["subject"] == f"张小三 <{staff.email}>"
    assert "张小三" not in str(event.payload) and "13812345678" not in str(event.personal)
    assert PersonalDataAccess.objects.count() == 1


def test_showing_the_phone_is_one_more_view_and_a_refused_action_none(client, boss, staff):
    client.force_login(boss)
    url = reverse("dashboard:collector", args=[staff.pk])

    assert client.post(url, {"action": "show_phone"}).status_code == 200
    assert client.post(url, {"action": "bogus"}).status_code == 403

    event = one_event("personal_data.viewed", actor_id=str(boss.pk), persons=[staff.pk])
    assert event.payload["fields"][-1] == "phone"
    assert event.payload["context"] == "firm dashboard: phone shown"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_roster_export_writes_one_personal_data_exported_per_chunk_of_its_rows(
    client, agency, boss, staff, kind
):
    """The export streams: each chunk of rows (here the only one) is logged as it is read."""
    colleague = make_collector(agency, "李四", phone="13900001111")
    client.force_login(boss)

    response = client.get(reverse(f"dashboard:export_{kind}"))

    assert response.status_code == 200
    assert events_of("personal_data.exported") == []  # nothing read yet
    b"".join(response.streaming_content)
    event = one_event(
        "personal_data.exported",
        subject_type="",
        subject_label="2 people",
        actor_id=str(boss.pk),
        firms=firms_of(agency),
        persons=sorted([staff.pk, colleague.pk]),
    )
    assert event.payload == {
        "fields": ["legal_name", "employee_number"],
        "context": f"firm dashboard: roster export ({kind.upper()})",
        "viewer_kind": "user",
        "subjects": 2,
    }
    assert set(event.personal["persons"].values()) == {
        f"张小三 <{staff.email}>",
        f"李四 <{colleague.email}>",
    }
    assert PersonalDataAccess.objects.count() == 2
    assert events_of("personal_data.viewed") == []


def test_an_export_with_every_name_masked_writes_nothing(client, agency, staff):
    lender = FirmFactory(name="诚信消费金融", kind=FirmKind.LENDER)
    contract(lender, agency, starts_on=timezone.localdate() - timedelta(days=5))
    client.force_login(make_manager("boss@lender.example", "钱总", lender))

    response = client.get(reverse("dashboard:export_csv"), {"firm": agency.pk})

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "张*三" in text and "张小三" not in text
    assert personal_events() == []
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(
    ("query", "context"),
    [({}, "my data download"), ({"format": "zip"}, "my data download (zip)")],
)
def test_my_data_download_writes_personal_data_exported(client, agency, staff, query, context):
    client.force_login(staff)

    assert client.get(reverse("my_data"), query).status_code == 200

    event = one_event(
        "personal_data.exported",
        subject_type="accounts.user",
        subject_id=str(staff.pk),
        actor_kind="user",
        actor_id=str(staff.pk),
        firms=[],
        persons=[staff.pk],
    )
    assert event.payload == {
        "fields": ["all"],
        "context": context,
        "viewer_kind": "user",
        "subjects": 1,
    }


def test_an_evidence_download_writes_personal_data_viewed(client, auditor, collector):
    firm = FirmFactory(name="阳光催收有限公司")
    MembershipFactory(firm=firm, user=collector)
    finding = make_finding(collector, by=auditor)
    evidence = FindingEvidence.objects.create(
        finding=finding,
        file=SimpleUploadedFile("complaint.pdf", b"%PDF-1.4 complaint"),
        uploaded_by=auditor,
    )
    activate_totp(auditor)
    client.force_login(auditor)

    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))

    assert response.status_code == 200
    event = one_event(
        "personal_data.viewed",
        subject_id=str(collector.pk),
        actor_id=str(auditor.pk),
        firms=firms_of(firm),
        persons=[collector.pk],
    )
    assert event.payload["fields"] == ["finding_evidence"]
    assert event.payload["context"] == f"evidence {evidence.pk} of finding {finding.pk}"


def test_a_refused_evidence_download_writes_nothing(client, collector, auditor):
    finding = make_finding(collector, by=auditor)
    evidence = FindingEvidence.objects.create(
        finding=finding, file=SimpleUploadedFile("c.pdf", b"%PDF-1.4 x"), uploaded_by=auditor
    )
    client.force_login(collector)

    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))

    assert response.status_code in {302, 403}
    assert personal_events() == []


def test_the_access_log_and_its_event_are_one_transaction(monkeypatch, boss, staff):
    def fail(*args, **kwargs):
        raise RuntimeError("the chain refused")

    monkeypatch.setattr(privacy.chain, "record", fail)
    with pytest.raises(RuntimeError):
        privacy.log_access([staff], fields=["phone"], context="test", viewer=boss)

    assert not PersonalDataAccess.objects.exists()


def test_nobody_seen_writes_nothing(boss):
    assert privacy.log_access([], fields=["phone"], context="empty page", viewer=boss) == 0
    assert not AuditEvent.objects.exists()
