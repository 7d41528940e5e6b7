"""The admin's question import refuses files with more than 2,000 questions, quickly, and
names the command that imports them; the cheap count agrees with the parsers."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from exams import import_limits, import_views
from exams.importing import MAX_UPLOAD_BYTES
from exams.importing.gift import parse_gift
from exams.importing.moodlexml import parse_moodle_xml
from exams.models import Question, QuestionBank
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

LOCAL_FIXTURES = Path(__file__).resolve().parents[2] / "exams" / "fixtures"
SHARED_FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "moodle"


def gift_file(count: int) -> bytes:
    lines = ["// generated", "$CATEGORY: $course$/top/批量"]
    for number in range(count):
        lines.append(f"Q{number} 夜间？{{~是 =否}}\n")  # 30 bytes, as in a 4.3 MB export
    return "\n".join(lines).encode()


def moodle_xml_file(count: int) -> bytes:
    question = (
        '<question type="truefalse"><name><text>q{n}</text></name>'
        "<questiontext><text>第{n}题</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>'
    )
    body = "".join(question.format(n=n) for n in range(count))
    category = (
        '<question type="category"><category><text>$course$/top/批量</text></category></question>'
    )
    return f'<?xml version="1.0"?><quiz>{category}{body}</quiz>'.encode()


@pytest.fixture
def trainer_client(client, trainer):
    trainer.preferred_language = "en"
    trainer.save(update_fields=["preferred_language"])
    return signed_in(client, trainer)


def post(client, name: str, data: bytes):
    return client.post(
        reverse("exams_import_questions"),
        {"file": SimpleUploadedFile(name, data), "format": "", "new_bank": "大题库"},
    )


def refusal(response) -> str:
    assert response.status_code == 200
    return " ".join(response.context["form"].errors["file"])


def test_a_120000_question_gift_file_is_refused_fast_and_names_the_command(trainer_client):
    data = gift_file(120_000)
    assert len(data) < MAX_UPLOAD_BYTES  # it passes the 5 MB cap
    trainer_client.get(reverse("exams_import_questions"))  # first request's imports and templates

    started = time.perf_counter()
    response = post(trainer_client, "huge.gift", data)
    elapsed = time.perf_counter() - started

    message = refusal(response)
    assert "more than 2,000 questions" in message
    assert "python manage.py import_questions" in message
    assert elapsed < 1.0, f"refusal took {elapsed:.2f} s"
    assert not QuestionBank.objects.exists() and not Question.objects.exists()


def test_the_refusal_takes_little_memory(trainer_client):
    data = gift_file(120_000)
    trainer_client.get(reverse("exams_import_questions"))
    tracemalloc.start()
    try:
        response = post(trainer_client, "huge.gift", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "python manage.py import_questions" in refusal(response)
    # The upload itself is a few copies of 4 MB; parsing it would take hundreds.
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_a_moodle_xml_file_over_the_cap_is_refused_too(trainer_client):
    data = moodle_xml_file(import_limits.MAX_ADMIN_QUESTIONS + 1)
    started = time.perf_counter()
    message = refusal(post(trainer_client, "huge.xml", data))
    assert "python manage.py import_questions" in message
    assert time.perf_counter() - started < 1.0
    assert not Question.objects.exists()


def test_a_file_at_the_cap_is_previewed_and_one_over_is_not(trainer_client, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_ADMIN_QUESTIONS", 3)
    response = post(trainer_client, "three.gift", gift_file(3))
    assert response.status_code == 200
    assert response.context["stage"] == "preview"
    assert len(response.context["rows"]) == 3
    assert "import_questions" in refusal(post(trainer_client, "four.gift", gift_file(4)))
    assert "import_questions" in refusal(post(trainer_client, "four.xml", moodle_xml_file(4)))


def test_the_command_has_no_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_ADMIN_QUESTIONS", 3)  # the admin's cap, made small
    path = tmp_path / "many.gift"
    path.write_bytes(gift_file(5))
    call_command("import_questions", str(path), "--bank", "命令行题库")
    assert Question.objects.filter(bank__name="命令行题库").count() == 5


def fixture_files() -> list[Path]:
    files = sorted(LOCAL_FIXTURES.glob("*"))
    if SHARED_FIXTURES.is_dir():
        files += sorted(p for p in SHARED_FIXTURES.rglob("*") if p.suffix in {".xml", ".txt"})
    return [p for p in files if p.suffix in {".gift", ".txt", ".xml"}]


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_the_cheap_count_agrees_with_the_parser(path):
    data = path.read_bytes()
    if path.suffix == ".xml":
        counted, result = import_limits.count_moodle_xml(data, 10**6), parse_moodle_xml(data)
    else:
        counted, result = import_limits.count_gift(data, 10**6), parse_gift(data)
    questions_with_errors = {problem.where for problem in result.errors}
    parsed = len(result.questions) + len(result.unsupported) + len(questions_with_errors)
    assert counted == parsed
