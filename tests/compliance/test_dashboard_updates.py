"""The firm roster shows each collector's pending legal update: "需更新 — 截止 <date>", or
已暂停 once the deadline has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.certificates import updates
from tests.exams.certificate_factories import make_programme, use_fast_pdf
from tests.exams.update_factories import certificate_on, make_module, superseding_change
from tests.factories import FirmFactory

from .dashboard_factories import make_collector, make_manager

pytestmark = pytest.mark.django_db
ROSTER = reverse("dashboard:roster")


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def setting():
    firm = FirmFactory(name="阳光资产管理有限公司")
    boss = make_manager("boss@agency.example", "赵经理", firm, preferred_language="zh-hans")
    change = superseding_change()
    programme = make_programme().programme
    module = make_module(programme, change)
    behind = make_collector(firm, "张小三")
    certificate_on(behind, programme, change.old)
    current = make_collector(firm, "李四")
    certificate_on(current, programme, change.new)
    return boss, module, behind, current


def update_cells(response) -> dict[int, object]:
    return {row.user.pk: row.update for row in response.context["rows"]}


def test_the_roster_shows_update_required_with_the_deadline_per_collector(client, setting):
    boss, module, behind, current = setting
    client.force_login(boss)

    response = client.get(ROSTER)

    cells = update_cells(response)
    assert cells[behind.pk].deadline == module.effective_deadline
    assert cells[current.pk] is None
    deadline = module.effective_deadline
    content = response.content.decode()
    assert content.count("需更新 — 截止") == 1
    assert f"需更新 — 截止 {deadline.year}年{deadline.month}月{deadline.day}日" in content


def test_the_roster_shows_suspended_after_the_deadline(client, setting):
    boss, module, behind, _current = setting
    updates.suspend_overdue(timezone.now() + timedelta(days=200))
    client.force_login(boss)

    response = client.get(ROSTER)

    assert update_cells(response)[behind.pk].suspended
    assert "需更新 — 截止" not in response.content.decode()


def test_the_collector_page_shows_the_update_and_then_the_suspension(client, setting):
    boss, module, behind, current = setting
    client.force_login(boss)
    deadline = module.effective_deadline

    page = client.get(reverse("dashboard:collector", args=[behind.pk])).content.decode()
    assert f"需更新 — 截止 {deadline.year}年{deadline.month}月{deadline.day}日" in page
    other = client.get(reverse("dashboard:collector", args=[current.pk])).content.decode()
    assert "需更新" not in other

    updates.suspend_overdue(timezone.now() + timedelta(days=200))
    page = client.get(reverse("dashboard:collector", args=[behind.pk])).content.decode()
    assert "需更新 — 截止" not in page
    assert "未完成法规更新学习" in page


def test_the_roster_shows_each_certificates_own_deadline(client, setting):
    boss, module, behind, _current = setting
    module.deadline = timezone.localdate() + timedelta(days=10)
    module.save()
    certificate = behind.certificates.get()  # issued today on the old basis: a full period
    own = timezone.localdate(certificate.issued_at) + timedelta(days=90)
    client.force_login(boss)

    response = client.get(ROSTER)

    assert update_cells(response)[behind.pk].deadline == own
    assert f"需更新 — 截止 {own.year}年{own.month}月{own.day}日" in response.content.decode()
