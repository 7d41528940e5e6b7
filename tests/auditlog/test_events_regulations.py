"""Regulation library loads in the audit log: every ``manage.py load_regulations`` run that
loads writes one ``regulations.loaded`` event naming what was loaded (the file's and the data's
SHA-256), the counts and the changes recorded; a malformed file or a load that fails half way
writes none."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from content import regulations
from content.models import Regulation, RegulationChange
from lms.auditlog.models import ActorKind
from tests.auditlog.helpers import events_of, one_event

pytestmark = pytest.mark.django_db
COMMAND = "manage.py load_regulations"


def article(version: str, article_no: str, text: str, **extra: str) -> dict:
    """A library entry; the texts are placeholders, never statute text."""
    return {
        "statute": "中华人民共和国治安管理处罚法",
        "short": "治安管理处罚法",
        "article": f"第{article_no}条",
        "article_no": article_no,
        "topic": "public-security-law",
        "text": text,
        "source": "测试用占位文本（非法条原文）",
        "version": version,
        **extra,
    }


def write(tmp_path: Path, data: object, name: str = "library.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def load(path: Path) -> str:
    out = StringIO()
    call_command("load_regulations", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


FIRST = [
    article("2012", "42", "旧版占位文本", effective_date="2013-01-01", superseded_by="50"),
    article("2025", "50", "新版占位文本", effective_date="2026-01-01"),
]


def test_the_command_records_what_it_loaded(tmp_path):
    path = write(tmp_path, FIRST)

    load(path)

    event = one_event("regulations.loaded", actor_kind=ActorKind.SYSTEM, actor_id=COMMAND)
    assert event.subject_label == "library.json"
    payload = event.payload
    assert payload["source"] == "library.json"  # the name, not the machine's directories
    assert payload["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert payload["data_sha256"] == regulations.data_digest(FIRST)
    assert (payload["entries"], payload["created"], payload["updated"]) == (2, 2, 0)
    supersession = RegulationChange.objects.get()
    old, new = (Regulation.objects.get(article_no=n) for n in ("42", "50"))
    assert payload["changes"] == [
        {"id": supersession.pk, "kind": "superseded", "old": old.pk, "new": new.pk}
    ]
    assert (event.firms, event.persons) == ([], [])


def test_the_data_digest_is_what_anyone_recomputes_from_the_file(tmp_path):
    path = write(tmp_path, FIRST)
    load(path)

    data = json.loads(path.read_text(encoding="utf-8"))
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert one_event("regulations.loaded").payload["data_sha256"] == expected


def test_each_load_is_recorded_with_its_corrections(tmp_path):
    load(write(tmp_path, FIRST))
    corrected = [FIRST[0], {**FIRST[1], "text": "新版占位文本（更正）"}]

    load(write(tmp_path, corrected, name="library-2.json"))
    load(write(tmp_path, corrected, name="library-2.json"))  # unchanged: recorded as a load

    first, second, third = events_of("regulations.loaded")
    correction = RegulationChange.objects.get(kind="corrected")
    assert (second.payload["updated"], second.payload["unchanged"]) == (1, 1)
    assert second.payload["changes"] == [
        {
            "id": correction.pk,
            "kind": "corrected",
            "old": correction.old_id,
            "new": correction.new_id,
        }
    ]
    assert second.payload["changed"] == ["治安管理处罚法 第50条"]
    assert (third.payload["unchanged"], third.payload["changes"]) == (2, [])
    assert second.payload["file_sha256"] == third.payload["file_sha256"]
    assert first.payload["file_sha256"] != second.payload["file_sha256"]
    assert first.seq < second.seq < third.seq


def test_a_malformed_file_loads_nothing_and_records_nothing(tmp_path):
    broken = [article("2025", "50", "")]  # an empty text

    with pytest.raises(CommandError):
        load(write(tmp_path, broken))

    assert events_of("regulations.loaded") == []


def test_a_load_that_fails_half_way_records_nothing(tmp_path, monkeypatch):
    def fail(row, target, source):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(regulations, "_supersession", fail)

    with pytest.raises(RuntimeError):
        load(write(tmp_path, FIRST))

    assert not Regulation.objects.exists()
    assert events_of("regulations.loaded") == []
