"""``manage.py load_regulations``: loads the statute library, idempotently, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from content.models import Regulation
from content.regulations import DEFAULT_PATH

SHARED_PATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "regulations.json"
needs_shared_copy = pytest.mark.skipif(
    not SHARED_PATH.exists(),
    reason=f"the shared original of the statutes is not at {SHARED_PATH} (outside this checkout)",
)


def project_data() -> list[dict]:
    return json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def load(path: Path | str | None = None) -> str:
    out = StringIO()
    args = [str(path)] if path else []
    call_command("load_regulations", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "regulations.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def snapshot() -> list[tuple]:
    return list(
        Regulation.objects.order_by("pk").values_list(
            "pk", "short_name", "article_no", "version", "text", "effective_date", "superseded_by"
        )
    )


def test_the_project_copy_loads_all_37_articles(db):
    assert "37 created, 0 updated, 0 unchanged" in load()
    assert Regulation.objects.count() == 37
    assert Regulation.objects.filter(short_name="刑法", article_no="293-1").exists()


def test_a_second_run_changes_nothing(db):
    load()
    before = snapshot()
    assert "0 created, 0 updated, 37 unchanged" in load()
    assert snapshot() == before


def test_a_changed_text_updates_exactly_that_article_and_says_which(db, tmp_path):
    load()
    before = {row[0]: row for row in snapshot()}
    data = project_data()
    data[2]["text"] = data[2]["text"].replace("非法拘禁", "非法 拘禁", 1)
    output = load(write(tmp_path, data))
    assert "updated 刑法 第二百三十八条" in output
    assert "0 created, 1 updated, 36 unchanged" in output
    changed = Regulation.objects.get(short_name="刑法", article_no="238")
    assert changed.text == data[2]["text"]
    after = {row[0]: row for row in snapshot()}
    assert {pk for pk in after if after[pk] != before[pk]} == {changed.pk}


def test_the_2012_public_security_articles_point_to_their_2025_successors(db):
    load()
    successors = {
        row.article_no: (row.superseded_by.article_no, row.superseded_by.effective_date.year)
        for row in Regulation.objects.filter(superseded_by__isnull=False)
    }
    assert successors == {
        "26": ("30", 2026),
        "40": ("47", 2026),
        "42": ("50", 2026),
        "43": ("51", 2026),
        "49": ("58", 2026),
    }
    for old in Regulation.objects.filter(superseded_by__isnull=False):
        assert old.short_name == old.superseded_by.short_name == "治安管理处罚法"
        assert old.effective_date.year == 2013


@needs_shared_copy
def test_the_shared_original_without_dates_loads_too(db):
    assert "37 created, 0 updated, 0 unchanged" in load(SHARED_PATH)
    assert not Regulation.objects.filter(effective_date__isnull=False).exists()
    assert not Regulation.objects.filter(superseded_by__isnull=False).exists()


@needs_shared_copy
def test_the_project_copy_is_the_shared_original_word_for_word():
    shared = json.loads(SHARED_PATH.read_text(encoding="utf-8"))
    ours = project_data()
    assert len(ours) == len(shared) == 37
    for index, (mine, original) in enumerate(zip(ours, shared, strict=True), start=1):
        where = f"entry {index} ({original['short']} {original['article']})"
        assert mine["text"] == original["text"], where
        # Our copy only adds keys (see content/data/README.md); it changes none.
        assert {key: mine[key] for key in original} == original, where
        assert set(mine) - set(original) <= {"effective_date", "superseded_by", "crime_name"}, where


def _drop_text(data: list[dict]) -> object:
    del data[2]["text"]
    return data


def _set(index: int, key: str, value: object) -> Callable[[list[dict]], object]:
    def change(data: list[dict]) -> object:
        data[index][key] = value
        return data

    return change


def _duplicate(data: list[dict]) -> object:
    return [*data, dict(data[8])]


# (how to break the file, what the error must say)
MALFORMED = {
    "bad JSON": (lambda data: "[{", ["not valid JSON", "line 1"]),
    "not a list": (lambda data: {"short": "刑法"}, ["JSON array"]),
    "missing field": (_drop_text, ["entry 3 (刑法 第二百三十八条)", "'text'"]),
    "unknown topic": (
        _set(0, "topic", "banking"),
        ["entry 1 (刑法 第一百九十六条)", "'topic'", "banking"],
    ),
    "bad date": (
        _set(9, "effective_date", "2026-13-01"),
        ["entry 10 (治安管理处罚法 第三十条)", "'effective_date'"],
    ),
    "duplicate entry": (
        _duplicate,
        ["entry 38 (刑法 第二百九十三条之一)", "duplicates entry 9", "article_no"],
    ),
    "successor that does not exist": (
        _set(16, "superseded_by", "999"),
        ["entry 17 (治安管理处罚法 第二十六条)", "'superseded_by'", "999"],
    ),
    "unknown field": (_set(4, "txet", "…"), ["entry 5 (刑法 第二百四十六条)", "txet"]),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_file_fails_names_the_entry_and_field_and_changes_nothing(db, tmp_path, case):
    load()
    before = snapshot()
    breaks, expected = MALFORMED[case]
    data = project_data()
    data[3]["text"] += "（本应被忽略的修改）"  # a valid change in the same file must not land
    broken = breaks(data)
    path = tmp_path / "regulations.json"
    path.write_text(
        broken if isinstance(broken, str) else json.dumps(broken, ensure_ascii=False),
        encoding="utf-8",
    )
    stderr = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_regulations", str(path), stdout=StringIO(), stderr=stderr)
    for fragment in expected:
        assert fragment in stderr.getvalue()
    assert snapshot() == before


def test_a_missing_file_fails_without_loading_anything(db, tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "load_regulations", str(tmp_path / "nope.json"), stdout=StringIO(), stderr=StringIO()
        )
    assert not Regulation.objects.exists()
