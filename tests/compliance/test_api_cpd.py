"""The API's collector detail exposes the current cycle's CPD hours (issue 15): the 12 months
ending today, and each programme requiring hours that concerns the collector (a valid or
suspended certificate held, or an assignment: as on "My learning") with its cycle and whether
it is met."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from courses.models import CPDEntry, CPDSource
from exams.certificates.models import CertificateStatus, ProgrammeAssignment
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory

from .api_factories import bearer, issue_token, make_collector, rate

pytestmark = pytest.mark.django_db


def credit(user, by, hours, *, offline=False, days_ago=5):
    CPDEntry.objects.create(
        user=user,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(hours),
        offline=offline,
        earned_on=timezone.localdate() - timedelta(days=days_ago),
        reason="测试",
        created_by=by,
    )


def test_the_detail_has_the_cycles_cpd_hours_per_required_programme(client, trainer, monkeypatch):
    use_fast_pdf(monkeypatch)
    firm = FirmFactory()
    collector = make_collector(firm, legal_name="张小三", phone="13812345678")
    rate(collector, "B", "75.00")
    programme = make_programme(name="合规催收从业资格").programme
    programme.cpd_hours_required = Decimal(12)
    programme.cpd_offline_hours_required = Decimal(4)
    programme.cpd_cycle_months = 24
    programme.save()
    issue_certificate(collector, programme)
    make_programme(name="不要求学时的项目")  # no hours required: not listed
    credit(collector, trainer, 8)
    credit(collector, trainer, 3, offline=True)
    credit(collector, trainer, 2, offline=True, days_ago=500)  # in the 24-month cycle only
    _token, key = issue_token(firm)

    data = client.get(f"/api/v1/collectors/{collector.pk}", **bearer(key)).json()

    today = timezone.localdate()
    cycle = data["cpd"]
    assert cycle["ends_on"] == today.isoformat()
    assert cycle["starts_on"] == (today - relativedelta(months=12) + timedelta(days=1)).isoformat()
    assert (Decimal(cycle["hours"]), Decimal(cycle["offline_hours"])) == (11, 3)
    [row] = cycle["programmes"]
    assert row["name"] == "合规催收从业资格"
    assert (Decimal(row["hours"]), Decimal(row["offline_hours"])) == (13, 5)
    assert (Decimal(row["required"]), Decimal(row["required_offline"])) == (12, 4)
    assert row["met"] is True


def test_the_schema_documents_the_cpd_field(client):
    schema = client.get("/api/v1/openapi.json").json()
    detail = schema["components"]["schemas"]["CollectorDetail"]
    assert "cpd" in detail["properties"] and "cpd" in detail["required"]
    assert "met" in schema["components"]["schemas"]["CpdProgrammeOut"]["properties"]


def requiring_hours(name: str):
    programme = make_programme(name=name).programme
    programme.cpd_hours_required = Decimal(12)
    programme.save()
    return programme


def test_only_the_collectors_own_programmes_are_listed(client, monkeypatch):
    use_fast_pdf(monkeypatch)
    firm = FirmFactory()
    collector = make_collector(firm)
    colleague = make_collector(firm)
    held = requiring_hours("甲 持证项目")
    suspended = requiring_hours("乙 暂停项目")
    assigned = requiring_hours("丙 指派项目")
    requiring_hours("丁 无关项目")  # active and requiring hours, but nobody's
    issue_certificate(collector, held)
    certificate = issue_certificate(collector, suspended)
    certificate.status = CertificateStatus.SUSPENDED
    certificate.save(update_fields=["status"])
    ProgrammeAssignment.objects.create(
        user=collector, programme=assigned, firm=firm, due_on=timezone.localdate()
    )
    issue_certificate(colleague, held)
    _token, key = issue_token(firm)

    def listed(user) -> list[str]:
        data = client.get(f"/api/v1/collectors/{user.pk}", **bearer(key)).json()
        return [row["name"] for row in data["cpd"]["programmes"]]

    assert sorted(listed(collector)) == sorted(["甲 持证项目", "乙 暂停项目", "丙 指派项目"])
    assert listed(colleague) == ["甲 持证项目"]
    assert listed(make_collector(firm)) == []  # holds and is assigned nothing
