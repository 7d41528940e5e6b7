"""The statute loader records each change in the law: supersessions and text corrections.

Through ``load_regulations`` on small JSON files in tmp_path. The texts are obviously synthetic
(测试条文…): these tests never stand in for real statute wording.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from content.models import Regulation, RegulationChange
from content.regulations import load_file

pytestmark = pytest.mark.django_db


def article(article_no: str, version: str, date: str, text: str, **extra) -> dict:
    return {
        "statute": "测试法",
        "short": "测试法",
        "article": f"第{article_no}条",
        "article_no": article_no,
        "topic": "public-security-law",
        "text": text,
        "source": "synthetic test data",
        "version": version,
        "effective_date": date,
        **extra,
    }


OLD = article("1", "v1", "2013-01-01", "测试条文甲：旧的措辞。", superseded_by="2")
NEW = article("2", "v2", "2026-01-01", "测试条文甲：新的措辞。")
OTHER = article("3", "v2", "2026-01-01", "测试条文乙。")


def write(tmp_path: Path, entries: list[dict], name: str = "regulations.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def load(path: Path) -> str:
    out = StringIO()
    call_command("load_regulations", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def row(article_no: str) -> Regulation:
    return Regulation.objects.get(short_name="测试法", article_no=article_no)


def test_a_first_load_records_the_old_version_arriving_already_superseded(tmp_path):
    path = write(tmp_path, [OLD, NEW])
    result = load_file(path)
    change = RegulationChange.objects.get()
    assert result.changes == [change]
    assert change.kind == RegulationChange.Kind.SUPERSEDED
    assert (change.old, change.new) == (row("1"), row("2"))
    assert change.old_text == "测试条文甲：旧的措辞。"
    assert change.new_text == "测试条文甲：新的措辞。"
    assert change.source == str(path)
    assert change.takes_effect.isoformat() == "2026-01-01"


def test_loading_the_same_file_again_records_nothing(tmp_path):
    path = write(tmp_path, [OLD, NEW, OTHER])
    load_file(path)
    again = load_file(path)
    assert again.changes == []
    assert RegulationChange.objects.count() == 1


def test_a_newly_set_successor_is_a_supersession(tmp_path):
    load_file(write(tmp_path, [{**OLD, "superseded_by": None}, NEW]))
    assert not RegulationChange.objects.exists()
    result = load_file(write(tmp_path, [OLD, NEW], "revised.json"))
    (change,) = result.changes
    assert (change.kind, change.old, change.new) == ("superseded", row("1"), row("2"))
    assert change.source.endswith("revised.json")


def test_a_successor_changing_to_a_new_target_is_another_supersession(tmp_path):
    load_file(write(tmp_path, [OLD, NEW, OTHER]))
    result = load_file(write(tmp_path, [{**OLD, "superseded_by": "3"}, NEW, OTHER]))
    (change,) = result.changes
    assert (change.old, change.new) == (row("1"), row("3"))
    assert RegulationChange.objects.filter(kind="superseded").count() == 2


def test_a_changed_text_of_the_same_version_is_a_correction(tmp_path):
    load_file(write(tmp_path, [OLD, NEW]))
    corrected = {**NEW, "text": "测试条文甲：新的措辞（更正）。"}
    result = load_file(write(tmp_path, [OLD, corrected]))
    (change,) = result.changes
    assert change.kind == RegulationChange.Kind.CORRECTED
    assert change.old == change.new == row("2")
    assert change.old_text == "测试条文甲：新的措辞。"
    assert change.new_text == "测试条文甲：新的措辞（更正）。"
    assert row("2").text == change.new_text


def test_a_change_to_another_field_is_not_a_correction(tmp_path):
    load_file(write(tmp_path, [OLD, NEW]))
    result = load_file(write(tmp_path, [OLD, {**NEW, "source": "another synthetic source"}]))
    assert result.updated == 1
    assert result.changes == []


def test_a_malformed_file_records_no_change(tmp_path):
    load_file(write(tmp_path, [OLD, NEW]))
    bad = write(tmp_path, [OLD, {**NEW, "text": "测试条文甲：改。"}, {"short": "测试法"}])
    with pytest.raises(Exception, match="nothing was loaded"):
        call_command("load_regulations", str(bad), stdout=StringIO(), stderr=StringIO())
    assert RegulationChange.objects.count() == 1


def test_the_command_lists_the_changes_and_summarises_their_impact(tmp_path):
    out = load(write(tmp_path, [OLD, NEW]))
    assert "测试法 第1条" in out
    # The certification app answers the regulation_changes_loaded hook with one line.
    summary = [line for line in out.splitlines() if "regulation_impact" in line]
    assert len(summary) == 1
    assert "1 supersession" in summary[0]
    assert "0 lessons" in summary[0]
    assert "0 valid certificates" in summary[0]
    assert "0 corrections" in summary[0]


def test_the_command_prints_no_summary_when_nothing_changed(tmp_path):
    path = write(tmp_path, [OLD, NEW])
    load(path)
    assert "regulation_impact" not in load(path)


def test_the_project_copy_records_the_2025_revision_of_the_public_security_law(db):
    call_command("load_regulations", stdout=StringIO())
    changes = RegulationChange.objects.select_related("old", "new")
    assert changes.count() == Regulation.objects.filter(superseded_by__isnull=False).count() > 0
    for change in changes:
        assert change.kind == "superseded"
        assert change.old.short_name == change.new.short_name == "治安管理处罚法"
        assert change.old_text == change.old.text
        assert change.new_text == change.new.text
