"""A person downloads everything held about them (/my-data/), and nothing about anyone else."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.certificates.models import ProgrammeAssignment
from lms.compliance.models import (
    Appeal,
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    PersonalDataAccess,
    RatingSnapshot,
    Severity,
)
from lms.compliance.privacy import log_access
from tests.exams.certificate_factories import (
    FAKE_PDF,
    complete_course,
    issue_certificate,
    make_programme,
    use_fast_pdf,
)
from tests.factories import FirmFactory

from .dashboard_factories import make_collector, make_manager, rate

URL = reverse("my_data")
pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def person(agency, monkeypatch):
    """A collector with something in every section, and a colleague with data of their own."""
    use_fast_pdf(monkeypatch)
    me = make_collector(agency, "张小三", phone="13812345678", employee_number="A-001")
    colleague = make_collector(agency, "李四", phone="13900001111", employee_number="A-002")
    built = make_programme(name="合规催收从业资格")
    for user in (me, colleague):
        complete_course(user, built.courses[0])
        issue_certificate(user, built.programme, percent="88.00")
        rate(user, grade="B", score="77", firm=agency)
    ProgrammeAssignment.objects.create(
        user=me, programme=built.programme, firm=agency, due_on=timezone.localdate()
    )
    finding = Finding.objects.create(
        collector=me,
        firm=agency,
        occurred_on=timezone.localdate() - timedelta(days=3),
        source=FindingSource.COMPLAINT,
        category=FindingCategory.THIRD_PARTIES,
        severity=Severity.MINOR,
        description="联系债务人同事",
        status=FindingStatus.APPEALED,
    )
    Appeal.objects.create(
        finding=finding, appellant=me, grounds="对方是担保人", status_before="confirmed"
    )
    Finding.objects.create(
        collector=colleague,
        firm=agency,
        occurred_on=timezone.localdate(),
        source=FindingSource.FIELD_AUDIT,
        category=FindingCategory.THREATS,
        severity=Severity.CRITICAL,
        description="同事的记录",
        status=FindingStatus.CONFIRMED,
    )
    RatingSnapshot.objects.create(
        user=me, score=Decimal("77"), grade="B", formula_version="test", reason="finding_confirmed"
    )
    boss = make_manager("boss@agency.example", "赵经理", agency)
    log_access([me], fields=["legal_name"], context="firm dashboard: collector page", viewer=boss)
    log_access([colleague], fields=["phone"], context="firm dashboard: phone shown", viewer=boss)
    return me, colleague


def test_signing_in_is_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_download_holds_the_persons_own_data(client, person):
    me, colleague = person
    client.force_login(me)
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sunshine-academy-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)

    assert data["profile"]["email"] == me.email
    assert data["profile"]["legal_name"] == "张小三"
    assert data["profile"]["phone"] == "13812345678"  # their own: not masked
    assert [(m["firm"], m["employee_number"], m["role"]) for m in data["memberships"]] == [
        ("阳光资产管理有限公司", "A-001", "collector")
    ]
    assert len(data["enrolments"]) == 1 and data["enrolments"][0]["completed_at"]
    assert len(data["lessons_completed"]) == 1
    assert [a["programme"] for a in data["assignments"]] == ["合规催收从业资格"]
    assert [(a["passed"], a["percent"]) for a in data["exam_attempts"]] == [(True, "88.00")]
    assert [c["holder_name"] for c in data["certificates"]] == ["张小三"]
    assert data["certificates"][0]["verification_url"].startswith("http")
    [finding] = data["audit_findings"]
    assert finding["description"] == "联系债务人同事"
    assert finding["appeal"]["grounds"] == "对方是担保人"
    assert data["ratings"]["current"]["grade"] == "B"
    assert [s["reason"] for s in data["ratings"]["history"]] == ["finding_confirmed"]

    log = data["personal_data_access_log"]
    assert [(entry["viewer"], entry["context"]) for entry in log] == [
        ({"kind": "person", "name": "赵经理"}, "firm dashboard: collector page"),
        ({"kind": "self"}, "my data download"),
    ]

    text = response.content.decode()
    for theirs in ("李四", "13900001111", "A-002", "同事的记录", colleague.email):
        assert theirs not in text


def test_each_download_is_recorded(client, person):
    me, _colleague = person
    client.force_login(me)
    client.get(URL)
    access = PersonalDataAccess.objects.filter(subject=me, viewer=me).get()
    assert access.fields == ["all"] and access.context == "my data download"


def test_the_zip_adds_the_certificate_pdfs(client, person):
    me, _colleague = person
    client.force_login(me)
    response = client.get(URL, {"format": "zip"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    serial = me.certificates.get().serial
    assert sorted(archive.namelist()) == ["certificates/" + serial + ".pdf", "my-data.json"]
    assert archive.read(f"certificates/{serial}.pdf") == FAKE_PDF
    data = json.loads(archive.read("my-data.json"))
    assert data["profile"]["email"] == me.email


def test_a_person_with_no_history_gets_empty_sections(client, collector):
    client.force_login(collector)
    data = json.loads(client.get(URL).content)
    assert data["memberships"] == [] and data["certificates"] == []
    assert data["ratings"] == {"current": None, "history": []}
    assert data["audit_findings"] == []


def test_the_download_holds_event_registrations_with_history_and_the_cpd_ledger(
    client, collector, other_collector, trainer
):
    from django.db import transaction

    from content.models import ChangeVia, Registration, RegistrationState
    from courses import cpd
    from tests.factories import make_session

    session = make_session(start=timezone.now() - timedelta(days=2), hours=2)
    with transaction.atomic():
        registration = Registration(session=session, user=collector)
        registration.change_state(RegistrationState.BOOKED, via=ChangeVia.SELF, actor=collector)
        registration.change_state(RegistrationState.ATTENDED, via=ChangeVia.QR, actor=collector)
    cpd.adjust(
        collector,
        Decimal(-1),
        offline=True,
        earned_on=timezone.localdate(),
        reason="提前离场",
        actor=trainer,
    )
    cpd.adjust(
        other_collector,
        Decimal(5),
        offline=False,
        earned_on=timezone.localdate(),
        reason="别人的",
        actor=trainer,
    )
    client.force_login(collector)

    data = json.loads(client.get(URL).content)

    [row] = data["event_registrations"]
    assert row["event"] == session.page.title and row["state"] == "attended"
    assert [(c["from"], c["to"], c["via"]) for c in row["history"]] == [
        ("", "booked", "self"),
        ("booked", "attended", "qr"),
    ]
    ledger = data["cpd_hours"]
    assert [(e["source"], e["hours"], e["offline"]) for e in ledger] == [
        ("session", "2.00", True),
        ("adjustment", "-1.00", True),
    ]
    assert ledger[0]["event"] == session.page.title
    assert ledger[1]["reason"] == "提前离场"
    assert trainer.email not in json.dumps(data, ensure_ascii=False)  # staff are not named
