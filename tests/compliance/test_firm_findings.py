"""``/firm/findings/`` across firms: a lender's manager reads the findings of the agencies the
lender currently contracts with, masked and read only; nobody reads anyone else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import FirmKind
from lms.compliance.models import Appeal
from lms.lib.masking import mask_name
from tests.compliance.dashboard_factories import contract, make_collector, make_manager
from tests.compliance.factories import make_finding
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db

AGENCY_NOTE = "电话录音显示对债务人使用侮辱性语言。"
LENDER_NOTE = "贷款客服向第三人透露欠款情况。"


@pytest.fixture
def world():
    """A lender contracting two agencies today (one contract has ended for a third), each
    agency's manager and a collector per firm with one finding each."""
    today = timezone.localdate()
    lender = FirmFactory(name="阳光消费金融", kind=FirmKind.LENDER)
    hired = FirmFactory(name="诚信催收")
    also_hired = FirmFactory(name="和顺资产管理")
    former = FirmFactory(name="旧合作催收")
    contract(lender, hired, starts_on=today - timedelta(days=90))
    contract(lender, also_hired, starts_on=today - timedelta(days=30))
    contract(lender, former, starts_on=today - timedelta(days=400), ends_on=today - timedelta(1))
    collectors = {
        "lender": make_collector(lender, "林客服"),
        "hired": make_collector(hired, "张小三"),
        "also_hired": make_collector(also_hired, "欧阳小明"),
        "former": make_collector(former, "赵六"),
    }
    found = {
        key: make_finding(user, description=LENDER_NOTE if key == "lender" else AGENCY_NOTE)
        for key, user in collectors.items()
    }
    return {
        "lender_manager": make_manager("boss@lender.example.com", "钱总", lender),
        "hired_manager": make_manager("boss@hired.example.com", "孙经理", hired),
        "collectors": collectors,
        "findings": found,
    }


def listed(client) -> tuple[set[int], str]:
    html = client.get(reverse("findings:firm")).content.decode()
    return {int(part.split('"', 1)[0]) for part in html.split('data-finding="')[1:]}, html


def test_a_lender_sees_its_contracted_agencies_findings_masked(client, world):
    client.force_login(world["lender_manager"])
    ids, html = listed(client)
    found, people = world["findings"], world["collectors"]
    assert ids == {found["lender"].pk, found["hired"].pk, found["also_hired"].pk}
    # The agencies' collectors by masked name only, and without the description.
    assert mask_name("张小三") in html and "张小三" not in html
    assert mask_name("欧阳小明") in html and "欧阳小明" not in html
    assert AGENCY_NOTE not in html
    assert people["hired"].email not in html
    # Its own staff as before: full name, description, appeal link.
    assert "林客服" in html and LENDER_NOTE in html
    assert reverse("findings:appeal_firm", args=[found["lender"].pk]) in html
    assert reverse("findings:appeal_firm", args=[found["hired"].pk]) not in html


def test_a_lender_does_not_see_a_former_or_unrelated_agencys_findings(client, world):
    stranger = make_collector(FirmFactory(name="无关催收"), "王五")
    unrelated = make_finding(stranger)
    client.force_login(world["lender_manager"])
    ids, html = listed(client)
    assert world["findings"]["former"].pk not in ids
    assert unrelated.pk not in ids
    assert mask_name("赵六") not in html and mask_name("王五") not in html


def test_a_lender_cannot_appeal_an_agencys_finding(client, world):
    client.force_login(world["lender_manager"])
    agency_finding = world["findings"]["hired"]
    url = reverse("findings:appeal_firm", args=[agency_finding.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"grounds": "不成立。"}).status_code == 404
    assert not Appeal.objects.exists()


def test_an_agency_manager_sees_only_their_own_firms_findings(client, world):
    client.force_login(world["hired_manager"])
    ids, html = listed(client)
    assert ids == {world["findings"]["hired"].pk}
    assert "张小三" in html and AGENCY_NOTE in html  # their own staff, in full
    # Not the lender's staff, nor the lender's other agencies.
    assert mask_name("欧阳小明") not in html and "林客服" not in html
    assert "data-agency-findings" not in html


def test_the_status_filter_applies_to_the_agencies_findings_too(client, world):
    from lms.compliance import findings

    findings.confirm(world["findings"]["hired"], by=None, note="确认。")
    client.force_login(world["lender_manager"])
    html = client.get(reverse("findings:firm"), {"status": "confirmed"}).content.decode()
    assert f'data-finding="{world["findings"]["hired"].pk}"' in html
    assert f'data-finding="{world["findings"]["also_hired"].pk}"' not in html
