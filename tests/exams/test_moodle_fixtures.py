"""Moodle's own test fixtures (../shared/fixtures/moodle) import as EXPECTED.md describes.

Where Moodle imports a type we do not (essay, matching, numerical, short answer, cloze), the
question is reported by name and place and skipped; where Moodle rejects a file, so do we.
"""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model

from exams.importing import MOODLE_XML, plan_import, run_import
from exams.models import Question, QuestionBank, QuestionCategory

MOODLE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "moodle"
pytestmark = pytest.mark.skipif(
    not MOODLE.exists(), reason=f"Moodle's fixtures are not at {MOODLE} (outside this checkout)"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(name: str, *args: str, bank: str = "Moodle") -> str:
    out, err = StringIO(), StringIO()
    call_command(
        "import_questions", str(MOODLE / name), "--bank", bank, *args, stdout=out, stderr=err
    )
    return out.getvalue() + err.getvalue()


def fails(name: str, *args: str) -> str:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_questions",
            str(MOODLE / name),
            "--bank",
            "Moodle",
            *args,
            stdout=out,
            stderr=err,
        )
    return f"{failure.value}\n{out.getvalue()}{err.getvalue()}"


def choices(name: str) -> list[tuple[str, Decimal, str]]:
    question = Question.objects.get(name=name)
    return [(c.text, c.fraction, c.feedback) for c in question.choices.all()]


def tree() -> dict[str, tuple[str, str]]:
    return {c.path: (c.info, c.idnumber) for c in QuestionCategory.objects.all()}


def export_xml() -> str:
    out = StringIO()
    call_command("export_questions", "--bank", "Moodle", "--format", "moodlexml", stdout=out)
    return out.getvalue()


def normalised(xml: str) -> str:
    """As Moodle's own export test compares: question ids and trailing zeros don't matter."""
    xml = re.sub(r"<!-- question: \d+  -->", "<!-- question: 0  -->", xml.replace("\r\n", "\n"))
    xml = re.sub(r"(\d+)\.0+(?=<)", r"\1", xml)
    return xml.rstrip("\n") + "\n"


# --- GIFT ------------------------------------------------------------------------------------


def test_questions_gift_imports_its_five_choice_questions_and_reports_the_other_four(db):
    output = run("gift/questions.gift.txt")
    assert (
        "imported 5, skipped 4 (unsupported: 1 essay, 1 matching, 1 numerical, 1 shortanswer)"
    ) in output
    for line in [
        'skipped "Q8" (essay, line 2)',
        'skipped "Moodle activities" (matching, line 5)',
        'skipped "Q5" (numerical, line 31)',
        'skipped "Shortanswer" (shortanswer, line 34)',
    ]:
        assert line in output
    q2 = Question.objects.get(name="Q2")
    assert (q2.type, q2.stem) == (
        "single",
        "<p>What&#x27;s between orange and green in the spectrum?</p>",
    )
    assert choices("Q2") == [
        ("yellow", Decimal(1), "right; good!"),
        ("red", Decimal(0), "wrong, it's yellow"),
        ("blue", Decimal(0), "wrong, it's yellow"),
    ]
    assert Question.objects.get(name="colours").type == "multiple"
    assert choices("colours") == [
        ("yellow", Decimal("0.5"), "right; good!"),
        ("red", Decimal(-1), "wrong"),
        ("off-beige", Decimal("0.5"), "right; good!"),
        ("blue", Decimal(-1), "wrong"),
    ]
    q1 = Question.objects.get(name="Q1")
    assert q1.type == "truefalse"
    assert choices("Q1") == [
        ("正确", Decimal(0), "42 is the Ultimate Answer."),
        ("错误", Decimal(1), "You gave the right answer."),
    ]
    assert q1.explanation == (
        "<p>This is, of course, a Hitchiker&#x27;s Guide to the Galaxy reference.</p>"
    )
    # The stray `";` after the answers makes it a "missing word" question, as in Moodle.
    assert q1.stem == "<p>42 is the Absolute Answer to everything._____&quot;;</p>"
    tsl = Question.objects.filter(name="2-08 TSL")
    assert [[c.fraction for c in q.choices.all()] for q in tsl] == [[1, 0], [1, 0]]
    assert set(tree()) == {"Default"}


def test_questions_in_category_gift_switches_category_and_keeps_escaped_html(db):
    output = run("gift/questions_in_category.gift.txt")
    assert "imported 2, skipped 2 (unsupported: 1 matching, 1 shortanswer)" in output
    assert 'skipped "Moodle user" (shortanswer, line 22)' in output
    greeting = Question.objects.get(name="Greeting")
    assert greeting.category.path == "Default for New Features"
    assert greeting.stem == (
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen to this greeting:'
        "</a><br/><br/>What language is being spoken?"
    )
    assert choices("Greeting") == [
        ("English", Decimal(0), "Sorry, listen again."),
        ("French", Decimal(1), "Yes, well done!"),
        ("German", Decimal(0), "Sorry, listen again."),
        ("Spanish", Decimal(0), "Sorry, listen again."),
    ]
    acronym = Question.objects.get(name="Moodle acronym")
    assert acronym.type == "truefalse"
    assert "Modular Object-Oriented Dynamic Learning Environment" in acronym.stem
    assert [c.fraction for c in acronym.choices.all()] == [1, 0]


def test_gift_examples_fail_on_partial_credit_single_choice_questions(db):
    output = fails("gift/examples.txt")
    assert "3 question(s) with errors" in output
    for line in (115, 117, 190):
        assert f"line {line} " in output
    assert "only the correct choice may have a positive grade" in output
    assert not Question.objects.exists()
    output = run("gift/examples.txt", "--skip-invalid")
    assert (
        "imported 20, skipped 23 (unsupported: 3 matching, 8 numerical, 9 shortanswer; invalid: 3)"
        in output
    )
    assert Question.objects.get(name="GIFT Control Characters").choices.last().text == "\\"
    assert [c.text for c in Question.objects.get(name="Which answer equals 5?").choices.all()] == [
        "= 2 + 2",
        "= 2 + 3",
        "= 2 + 4",
    ]


# --- Moodle XML ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["category_with_description.xml", "deprecated_category.xml"])
def test_category_with_description_keeps_info_and_idnumber(db, name):
    assert "imported 1, skipped 0" in run(f"xml/{name}")
    assert tree() == {"Alpha": ("This is Alpha category for test", "alpha-idnumber")}
    question = Question.objects.get(name="Alpha Question")
    assert (question.type, question.stem) == ("truefalse", "<p>Testing Alpha Question</p>")
    assert [c.fraction for c in question.choices.all()] == [1, 0]


def test_nested_categories(db):
    assert "imported 1, skipped 0" in run("xml/nested_categories.xml")
    assert tree() == {
        "Delta": ("This is Delta category for test", ""),
        "Delta/Epsilon": ("This is Epsilon category for test", ""),
        "Delta/Epsilon/Zeta": ("This is Zeta category for test", ""),
    }
    assert Question.objects.get(name="Zeta Question").category.path == "Delta/Epsilon/Zeta"


def test_nested_categories_with_questions(db):
    output = run("xml/nested_categories_with_questions.xml")
    assert "imported 4, skipped 1 (unsupported: 1 essay)" in output
    assert 'skipped "Kappa Essay Question" (essay, question 4 (line 55))' in output
    assert {q.name: q.category.path for q in Question.objects.all()} == {
        "Iota Question": "Iota",
        "Kappa Question": "Iota/Kappa",
        "Lambda Question": "Iota/Kappa/Lambda",
        "Mu Question": "Iota/Mu",
    }
    assert tree()["Iota/Mu"] == ("This is Mu category for test", "")


def test_old_format_file_without_info(db):
    assert "imported 2, skipped 0" in run("xml/old_format_file.xml")
    assert tree() == {"Pi": ("", ""), "Pi/Rho": ("", "")}
    assert Question.objects.get(name="Rho Question").category.path == "Pi/Rho"


def test_categories_in_reverse_order_are_nested_correctly(db):
    data = (MOODLE / "xml/categories_reverse_order.xml").read_bytes()
    # Only an essay and a short answer: nothing we can import, so the file is refused...
    output = fails("xml/categories_reverse_order.xml")
    assert 'skipped "Tau Question" (essay, question 2 (line 14))' in output
    assert 'skipped "Sigma Question" (shortanswer, question 4 (line 51))' in output
    assert "the file contains no question that can be imported" in output
    assert not QuestionCategory.objects.exists()
    # ...but its child-before-parent categories are read right, as the preview shows,
    report = plan_import(data, MOODLE_XML, "Moodle")
    assert report.new_categories == ["Sigma", "Sigma/Tau"]
    # and, given a question to import in Tau, Tau is created under Sigma.
    question = (
        '<question type="truefalse"><name><text>Tau TF</text></name>'
        "<questiontext><text>T?</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>'
    )
    run_import(data.replace(b"<!-- question: 106  -->", question.encode(), 1), MOODLE_XML, "M")
    assert tree() == {
        "Sigma": ("This is Sigma category for test", ""),
        "Sigma/Tau": ("This is Tau category for test", ""),
    }
    assert Question.objects.get().category.path == "Sigma/Tau"


def test_invalid_grades_fail_naming_the_grade_and_the_question(db):
    output = fails("xml/error_invalid_grades.xml")
    assert (
        'question 1 (line 4) "Question with invalid grades : x > 1 & x < 2": '
        "invalid grade 33% (0.33) for choice 2 (line 38)"
    ) in output
    assert "33.33333" not in output.split("choice 2")[1].split("Moodle accepts")[0]
    assert not QuestionBank.objects.exists()
    output = fails("xml/error_invalid_grades.xml", "--skip-invalid")
    assert "the file contains no question that can be imported" in output


def test_export_category_exports_as_moodle_exports_it(db):
    run("xml/export_category.xml")
    expected = (MOODLE / "xml/export_category.xml").read_text(encoding="utf-8")
    assert normalised(export_xml()) == normalised(expected)


def test_html_chars_in_idnumbers_are_kept_and_escaped_on_export(db):
    run("xml/html_chars_in_idnumbers.xml")
    assert tree() == {"Alpha": ("This is Alpha category for test", "The inequalities < & >")}
    assert Question.objects.get().idnumber == "T & F"
    expected = (MOODLE / "xml/html_chars_in_idnumbers.xml").read_text(encoding="utf-8")
    assert normalised(export_xml()) == normalised(expected)


def test_broken_cloze_questions_are_each_reported_and_nothing_is_imported(db):
    output = fails("xml/broken_cloze_questions.xml")
    for index, (line, name) in enumerate(
        [
            (4, "Multianswer question without subquestions"),
            (20, "Multichoice subquestion without choices"),
            (36, "Multichoice subquestion with only one choice"),
            (52, "Multichoice subquestion with no completely correct answer"),
            (68, "Numerical subquestion with buggy answer"),
        ],
        start=1,
    ):
        assert f'skipped "{name}" (cloze, question {index} (line {line}))' in output
    assert not Question.objects.exists()


def test_multichoice_greeting_imports_with_its_feedback_and_warns_about_its_files(db):
    output = run("xml/multichoice.xml")
    assert "imported 1, skipped 0" in output
    assert "the file bonjour.mp3 is not an image and was not imported" in output
    assert output.count("the image in this choice was left out") == 4
    greeting = Question.objects.get(name="Greeting")
    assert greeting.type == "single"
    assert greeting.category.path == "Default for testhead/Multichoice"
    assert "What language is being spoken?" in greeting.stem
    assert "@@PLUGINFILE@@" not in greeting.stem
    assert choices("Greeting") == [
        ("English", Decimal(0), "Sorry, listen again."),
        ("French", Decimal(1), "Yes, well done!"),
        ("German", Decimal(0), "Sorry, listen again."),
        ("Danish", Decimal(0), "Sorry, listen again."),
    ]


def test_multianswer_is_a_cloze_question_and_is_reported(db):
    output = fails("xml/multianswer.xml")
    assert 'skipped "cloze with images" (cloze, question 2 (line 12))' in output
    assert not get_image_model().objects.exists()


def test_the_old_image_tag_becomes_a_wagtail_image(db):
    output = run("xml/sample_questions_with_old_image_tag.xml")
    assert "imported 1, skipped 1 (unsupported: 1 cloze)" in output
    assert 'skipped "cloze question with image" (cloze, question 2 (line 16))' in output
    image = get_image_model().objects.get()
    assert (image.width, image.height) == (16, 16)
    question = Question.objects.get(name="mcq with image")
    assert question.stem.startswith("This is a multichoice question with an image in the old")
    assert question.stem.endswith(
        f'<embed alt="" embedtype="image" format="fullwidth" id="{image.pk}"/>'
    )
    assert choices("mcq with image") == [
        ("wrong answer", Decimal(0), ""),
        ("another wrong answer", Decimal(0), ""),
        ("right answer", Decimal(1), ""),
    ]
