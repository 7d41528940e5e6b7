"""The admin a trainer, reviewer or auditor sees is Chinese, and shows Beijing time.

Django's and Wagtail's strings their own zh_Hans catalogues lack are translated in
``locale-overrides/``; group names (identifiers in English) are translated at display; Wagtail's
default workflow is renamed by a migration.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from django.test import Client
from django.urls import reverse
from wagtail.models import Task, Workflow

from courses.models import CourseIndexPage
from lms.compliance.models import Finding
from tests.compliance.factories import make_finding
from tests.conftest import require_service, signed_in
from tests.courses.pages import make_course

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "locale-overrides" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_the_trainers_page_explorer_and_editor_are_chinese(trainer):
    course = make_course(slug="visits", lessons=1)
    client = signed_in(Client(), trainer)
    explorer = client.get(reverse("wagtailadmin_explore", args=[course.pk])).content.decode()
    assert "浏览: 催收合规基础" in explorer or "浏览：催收合规基础" in explorer
    assert "Exploring" not in explorer
    assert "被引用 0 次" in explorer or "Referenced" not in explorer
    index = CourseIndexPage.objects.get()
    add = client.get(
        reverse("wagtailadmin_pages:add", args=["courses", "coursepage", index.pk])
    ).content.decode()
    assert "- 请选择 -" in add
    assert "- Select an option -" not in add
    assert (
        "内容统计"
        in client.get(reverse("wagtailadmin_pages:edit", args=[course.pk])).content.decode()
    )


def test_the_auditors_new_finding_page_has_a_chinese_heading(auditor):
    page = signed_in(Client(), auditor).get("/admin/findings/new/").content.decode()
    assert "新建：稽核发现" in page
    assert "New: " not in page


def test_group_names_are_translated_in_the_admin(admin_user, collector):
    client = signed_in(Client(), admin_user)
    groups = client.get(reverse("wagtailusers_groups:index")).content.decode()
    for label in ("催收员", "机构经理", "培训师", "审核员", "稽核员", "版主", "编辑"):
        assert label in groups
    for name in ("Auditors", "Collectors", "Firm managers", "Moderators", "Editors"):
        assert name not in groups
    edit = client.get(reverse("wagtailusers_users:edit", args=[collector.pk])).content.decode()
    assert "机构经理" in edit and "Firm managers" not in edit


def test_group_names_stay_english_identifiers_for_the_code(db):
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name="Firm managers").exists()


def test_wagtails_default_workflow_has_a_chinese_name(admin_user):
    assert not Workflow.objects.filter(name="Moderators approval").exists()
    assert not Task.objects.filter(name="Moderators approval").exists()
    page = signed_in(Client(), admin_user).get("/admin/workflows/list/").content.decode()
    assert "Moderators approval" not in page
    assert "默认审核流程（版主）" in page


def test_boolean_columns_say_yes_or_no_not_true(admin_user):
    page = signed_in(Client(), admin_user).get(reverse("wagtailusers_users:index")).content
    assert b"True" not in page


def test_the_admin_shows_a_findings_times_in_beijing_time(auditor, collector):
    finding = make_finding(collector, by=auditor)
    recorded = dt.datetime(2026, 12, 6, 18, 25, tzinfo=dt.UTC)  # 02:25 next day in Beijing
    Finding.objects.filter(pk=finding.pk).update(recorded_at=recorded)
    page = signed_in(Client(), auditor).get(f"/admin/findings/inspect/{finding.pk}/")
    html = page.content.decode()
    assert "2026年12月7日 02:25" in html
    assert "18:25" not in html


def test_nobody_can_pick_another_time_zone_in_the_admin(trainer):
    page = signed_in(Client(), trainer).get("/admin/account/").content.decode()
    assert "Africa/Abidjan" not in page
    assert 'name="locale-current_time_zone"' not in page


def test_the_override_catalogue_compiles_and_does_not_repeat_our_own_strings():
    if subprocess.run(["which", "msgfmt"], capture_output=True).returncode:
        require_service("gettext", "gettext is not installed (apt-get install gettext)")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(OVERRIDES)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr
    ours = (ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text()
    ids = [line for line in OVERRIDES.read_text().splitlines() if line.startswith("msgid ")]
    clashes = [msgid for msgid in ids if msgid != 'msgid ""' and f"\n{msgid}\n" in ours]
    assert clashes == []
