"""exams.importing.moodlexml: reading Moodle XML as Moodle does (safely), and writing what Moodle
writes."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from django.utils import translation

from exams.importing import FALSE_TEXT, TRUE_TEXT
from exams.importing.moodlexml import parse_moodle_xml, write_moodle_xml
from tests.exams.factories import make_bank, make_category, make_question

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFElEQVR4nGM8ISfHgA0wYRWlkwQAmxQBECiKgAAAAAAASUVORK5CYII="
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def quiz(*questions: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>"
    ).encode()


def category(path: str, info: str = "", idnumber: str = "") -> str:
    return (
        f'<question type="category"><category><text>{path}</text></category>'
        f'<info format="html"><text><![CDATA[{info}]]></text></info>'
        f"<idnumber>{idnumber}</idnumber></question>"
    )


def multichoice(
    name: str, *answers: tuple[str, str, str], single: str = "true", extra: str = ""
) -> str:
    body = "".join(
        f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>'
        f'<feedback format="html"><text><![CDATA[{feedback}]]></text></feedback></answer>'
        for fraction, text, feedback in answers
    )
    return (
        f'<question type="multichoice"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text><![CDATA[<p>{name}?</p>]]></text></questiontext>'
        f"<single>{single}</single>{extra}{body}</question>"
    )


def truefalse(name: str, true: str, false: str, texts: tuple[str, str] = ("true", "false")) -> str:
    return (
        f'<question type="truefalse"><name><text>{name}</text></name>'
        f'<questiontext format="moodle_auto_format"><text>{name}</text></questiontext>'
        f'<answer fraction="{true}"><text>{texts[0]}</text>'
        "<feedback><text>fb-true</text></feedback></answer>"
        f'<answer fraction="{false}"><text>{texts[1]}</text>'
        "<feedback><text>fb-false</text></feedback></answer>"
        "</question>"
    )


def test_categories_drop_the_context_prefix_and_top_and_keep_info_and_idnumber():
    result = parse_moodle_xml(
        quiz(
            category("$course$/top/合规催收/个人信息", "<p>个人信息保护</p>", "pi"),
            category("$module$/Alpha"),
            category("$system$/A//B"),
        )
    )
    assert [(c.path, c.info, c.idnumber) for c in result.categories] == [
        (("合规催收", "个人信息"), "个人信息保护", "pi"),
        (("Alpha",), "", ""),
        (("A/B",), "", ""),
    ]


def test_questions_belong_to_the_category_before_them():
    result = parse_moodle_xml(
        quiz(
            multichoice("None", ("100", "a", ""), ("0", "b", "")),
            category("$course$/Sigma/Tau"),
            multichoice("In Tau", ("100", "a", ""), ("0", "b", "")),
        )
    )
    assert [q.category for q in result.questions] == [(), ("Sigma", "Tau")]


def test_multichoice_single_and_multiple_with_percent_fractions_and_feedback():
    result = parse_moodle_xml(
        quiz(
            multichoice("One", ("100", "<p>对</p>", "<p>很好</p>"), ("0", "错", "")),
            multichoice(
                "Many",
                ("33.33333", "a", ""),
                ("33.33333", "b", ""),
                ("33.33333", "c", ""),
                ("-100", "d", "<b>no</b>"),
                single="false",
            ),
        )
    )
    one, many = result.questions
    assert (one.type, many.type) == ("single", "multiple")
    assert [(c.text, c.fraction, c.feedback) for c in one.choices] == [
        ("对", Decimal(1), "很好"),
        ("错", Decimal(0), ""),
    ]
    assert [c.fraction for c in many.choices] == [Decimal("0.3333333")] * 3 + [Decimal(-1)]
    assert many.choices[3].feedback == "no"


def test_true_false_matches_answers_on_their_text_and_maps_their_feedback():
    (question,) = parse_moodle_xml(quiz(truefalse("Q", "0", "100", ("false", "true")))).questions
    # The first answer is "false" at 0%, the second "true" at 100%.
    assert question.type == "truefalse"
    assert [(c.text, c.fraction, c.feedback) for c in question.choices] == [
        (TRUE_TEXT, Decimal(1), "fb-false"),
        (FALSE_TEXT, Decimal(0), "fb-true"),
    ]


def test_old_true_false_files_with_translated_texts_list_true_first():
    (question,) = parse_moodle_xml(quiz(truefalse("Q", "0", "100", ("Wahr", "Falsch")))).questions
    assert [(c.text, c.fraction, c.feedback) for c in question.choices] == [
        (TRUE_TEXT, Decimal(0), "fb-true"),
        (FALSE_TEXT, Decimal(1), "fb-false"),
    ]


def test_general_feedback_mark_hidden_idnumber_and_tags_are_read():
    extra = (
        '<generalfeedback format="plain_text"><text>依据 &lt;第50条&gt;</text></generalfeedback>'
        "<defaultgrade>2.5000000</defaultgrade><hidden>1</hidden><idnumber>T &amp; F</idnumber>"
        "<tags><tag><text>征信</text></tag><tag><text>多选</text></tag></tags>"
    )
    (question,) = parse_moodle_xml(
        quiz(multichoice("Q", ("100", "a", ""), ("0", "b", ""), extra=extra))
    ).questions
    assert question.explanation == "<p>依据 &lt;第50条&gt;</p>"
    assert (question.default_mark, question.active) == (Decimal("2.5"), False)
    assert question.idnumber == "T & F"
    assert question.tags == ["征信", "多选"]


def test_embedded_files_are_kept_for_the_images_in_the_text():
    encoded = base64.b64encode(PNG).decode()
    xml = quiz(
        '<question type="multichoice"><name><text>Img</text></name>'
        '<questiontext format="html"><text><![CDATA['
        '<p><img src="@@PLUGINFILE@@/flag%201.png" alt="旗"></p>]]></text>'
        f'<file name="flag 1.png" path="/" encoding="base64">{encoded}</file></questiontext>'
        '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
        "</question>"
    )
    (question,) = parse_moodle_xml(xml).questions
    assert question.files == {"flag 1.png": PNG}
    assert '<img src="@@PLUGINFILE@@/flag%201.png" alt="旗">' in question.stem


def test_the_moodle_1_9_image_tag_is_appended_to_the_text():
    encoded = base64.b64encode(PNG).decode()
    xml = quiz(
        '<question type="multichoice"><name><text>Old</text></name>'
        '<questiontext format="html"><text>Text</text></questiontext>'
        f"<image>dir/moodle.png</image><image_base64>\n{encoded}\n</image_base64>"
        '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
        "</question>"
    )
    (question,) = parse_moodle_xml(xml).questions
    assert question.stem == 'Text <img src="@@PLUGINFILE@@/dir_moodle.png" alt=""/>'
    assert question.files == {"dir_moodle.png": PNG}


def test_images_in_choices_are_left_out_with_a_note():
    (question,) = parse_moodle_xml(
        quiz(
            multichoice("Q", ("100", '<img src="@@PLUGINFILE@@/f.jpg"> French', ""), ("0", "b", ""))
        )
    ).questions
    assert question.choices[0].text == "French"
    assert question.notes == [
        "line 3: the image in this choice was left out (choices hold text only)"
    ]


def test_unsupported_types_are_reported_with_their_index_and_line():
    result = parse_moodle_xml(
        quiz(
            category("$course$/A"),
            '<question type="essay"><name><text>Essay</text></name></question>',
            '<question type="cloze"><name><text><![CDATA[Cloze <b>1</b>]]></text></name>'
            "</question>",
            '<question type="matching"><name><text>M</text></name></question>',
        )
    )
    assert [str(p) for p in result.unsupported] == [
        'skipped "Essay" (essay, question 2 (line 4))',
        'skipped "Cloze 1" (cloze, question 3 (line 5))',
        'skipped "M" (matching, question 4 (line 6))',
    ]


def test_a_grade_that_is_not_a_number_is_a_problem_of_that_question():
    (question,) = parse_moodle_xml(
        quiz(multichoice("Q", ("abc", "a", ""), ("100", "b", "")))
    ).questions
    assert question.problems == ["line 3: the grade abc is not a number"]


def test_malformed_xml_is_rejected_with_its_line():
    (problem,) = parse_moodle_xml(b"<quiz>\n<question type='truefalse'>\n</quiz>").fatal
    assert problem.where == "line 3"
    assert "not well-formed" in problem.message


def test_entity_declarations_are_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><quiz>&b;</quiz>'
    )
    (problem,) = parse_moodle_xml(bomb).fatal
    assert "DTD" in problem.message


def test_a_file_that_is_not_a_quiz_is_rejected():
    (problem,) = parse_moodle_xml(b"<?xml version='1.0'?>\n<html></html>").fatal
    assert "<quiz>" in problem.message


def test_written_xml_is_what_moodle_writes_and_reads_back(db):
    bank = make_bank("导出")
    make_question(
        bank,
        make_category(bank, "A & B"),
        "single",
        [("x < 2", "1", "对"), ("x > 2", "0", "")],
        "<p>解释</p>",
        name="不等式",
        stem="<p>哪个正确？</p>",
    )
    text, export = write_moodle_xml(bank)
    assert export.count == 1
    assert "      <text><![CDATA[$course$/A & B]]></text>\n" in text
    assert (
        '    <answer fraction="100" format="html">\n'
        "      <text><![CDATA[x &lt; 2]]></text>\n"
        '      <feedback format="html">\n'
        "        <text>对</text>\n"
        "      </feedback>\n"
        "    </answer>\n"
    ) in text
    (question,) = parse_moodle_xml(text.encode()).questions
    assert question.category == ("A & B",)
    assert [(c.text, c.fraction, c.feedback) for c in question.choices] == [
        ("x < 2", Decimal(1), "对"),
        ("x > 2", Decimal(0), ""),
    ]
    assert question.explanation == "<p>解释</p>"
