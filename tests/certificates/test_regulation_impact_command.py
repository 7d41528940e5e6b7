"""``manage.py regulation_impact``: counts and lists, supersessions apart from corrections,
``--change``, ``--all`` and ``--format json`` (stable keys)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from content.models import RegulationChange
from exams.certificates.models import RegulationUpdateTask
from tests.exams.certificate_factories import use_fast_pdf
from tests.factories import UserFactory

from .impact_factories import make_article, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def world():
    return make_world(UserFactory.create_batch(1))


@pytest.fixture
def spent_correction():
    """A correction nothing relies on any more."""
    article = make_article("9", "v-correction", "测试条文：更正后。")
    return RegulationChange.objects.create(
        kind="corrected",
        old=article,
        new=article,
        old_text="测试条文：更正前。",
        new_text=article.text,
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("regulation_impact", *args, stdout=out)
    return out.getvalue()


def test_it_prints_each_change_with_impact_its_counts_and_lists(world, spent_correction):
    out = run()
    assert "Supersessions (1)" in out
    assert f"#{world.change.pk} " in out
    assert "1 lessons, 1 questions, 3 programmes, 1 valid certificates" in out
    assert f"lesson #{world.lessons[0].pk} 旧条文课0 — task #" in out
    assert f"question #{world.questions[0].pk} " in out
    assert world.via_exam.code in out and "(exam; 0 certificates)" in out
    assert "Corrections" not in out  # nothing relies on the correction
    assert RegulationUpdateTask.objects.count() == 2
    certificate = world.certificates[0]
    assert f"certificate {certificate.serial} {world.via_certificates.code} (issued " in out
    assert certificate.holder_name not in out  # no personal data


def test_all_lists_corrections_separately_even_without_impact(world, spent_correction):
    out = run("--all")
    assert out.index("Supersessions (1)") < out.index("Corrections (1)")
    assert f"#{spent_correction.pk} " in out
    assert "0 lessons, 0 questions, 0 programmes, 0 valid certificates" in out


def test_one_change(world, spent_correction):
    out = run("--change", str(spent_correction.pk))
    assert "Corrections (1)" in out and "Supersessions" not in out


def test_an_unknown_change_is_an_error(db):
    with pytest.raises(CommandError, match="no regulation change 999"):
        run("--change", "999")


def test_nothing_to_report(db):
    assert "No change in the law has impact left." in run()


def test_json_has_stable_keys(world, spent_correction):
    data = json.loads(run("--format", "json", "--all"))
    assert set(data) == {"supersessions", "corrections"}
    (change,) = data["supersessions"]
    assert set(change) == {
        "id", "kind", "detected_at", "takes_effect", "source", "old", "new", "counts",
        "lessons", "questions", "programmes", "certificates",
    }  # fmt: skip
    assert change["kind"] == "superseded"
    assert change["takes_effect"] == "2026-01-01"
    assert change["old"] == {
        "id": world.old.pk,
        "short_name": "测试法",
        "article": "第42条",
        "article_no": "42",
        "version": world.old.version,
        "effective_date": "2013-01-01",
    }
    assert change["counts"] == {"lessons": 1, "questions": 1, "programmes": 3, "certificates": 1}
    (lesson,) = change["lessons"]
    assert set(lesson) == {"id", "title", "url_path", "compares", "task"}
    assert lesson["compares"] is False
    assert lesson["task"]["done"] is False
    (question,) = change["questions"]
    assert set(question) == {"id", "name", "bank", "task"}
    programmes = {p["code"]: p for p in change["programmes"]}
    assert programmes[world.via_certificates.code]["reasons"] == ["certificates"]
    assert programmes[world.via_certificates.code]["certificates"] == 1
    assert set(programmes[world.via_course.code]) == {
        "id", "code", "name", "reasons", "certificates"
    }  # fmt: skip
    (certificate,) = change["certificates"]
    assert certificate == {
        "serial": world.certificates[0].serial,
        "programme": world.via_certificates.code,
        "issued_on": timezone.localdate(world.certificates[0].issued_at).isoformat(),
        "expires_on": timezone.localdate(world.certificates[0].expires_at).isoformat(),
    }
    (correction,) = data["corrections"]
    assert correction["kind"] == "corrected"
    assert correction["old"] == correction["new"]


def test_text_caps_the_certificate_list_and_json_lists_them_all(db):
    world = make_world(UserFactory.create_batch(3), size=3)
    serials = sorted(certificate.serial for certificate in world.certificates)
    out = run("--certificates", "2")
    assert [serial for serial in serials if f"certificate {serial} " in out] == serials[:2]
    assert "… and 1 more (--format json lists them all)" in out
    assert "certificate " not in run("--certificates", "0")
    data = json.loads(run("--format", "json", "--certificates", "1"))
    (change,) = data["supersessions"]
    assert [row["serial"] for row in change["certificates"]] == serials
