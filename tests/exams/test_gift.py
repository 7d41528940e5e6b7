"""exams.importing.gift: reading GIFT the way Moodle reads it, and writing it back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from exams.importing import FALSE_TEXT, TRUE_TEXT, ParsedQuestion
from exams.importing.gift import escape, parse_gift, write_gift
from tests.exams.factories import make_bank, make_category, make_question


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(text: str):
    return parse_gift(text.encode("utf-8"))


def only(text: str) -> ParsedQuestion:
    result = parse(text)
    assert not result.errors and not result.fatal and not result.unsupported, result
    (question,) = result.questions
    return question


def choices(question: ParsedQuestion) -> list[tuple[str, Decimal, str]]:
    return [(c.text, c.fraction, c.feedback) for c in question.choices]


def test_comments_are_ignored_and_blank_lines_separate_questions():
    result = parse(
        "// a comment\n//another\n\n"
        "// before the question\nFirst?{=a ~b}\n\n\n"
        "Second?{=c ~d}\n// after it\n"
    )
    assert [q.name for q in result.questions] == ["First?", "Second?"]
    assert [q.where for q in result.questions] == ["line 5", "line 8"]


def test_a_title_between_double_colons_names_the_question():
    question = only("::合规时间::什么时间可以联系债务人？{=白天 ~深夜}")
    assert question.name == "合规时间"
    assert question.stem == "<p>什么时间可以联系债务人？</p>"


def test_an_untitled_question_is_named_after_the_start_of_its_text():
    question = only("[html]<p>A <b>long</b> question " + "x" * 100 + "?</p>{=a ~b}")
    assert question.name == ("A long question " + "x" * 100)[:80]


def test_category_lines_switch_the_category_of_the_following_questions():
    result = parse(
        "Before?{=a ~b}\n\n"
        "$CATEGORY: $course$/top/合规催收/沟通技巧\n\n"
        "One?{=a ~b}\n\n"
        "$CATEGORY: $module$/Sub//Slash\nTwo?{=a ~b}\n"
    )
    assert [q.category for q in result.questions] == [
        (),
        ("合规催收", "沟通技巧"),
        ("Sub/Slash",),
    ]
    assert [c.path for c in result.categories] == [("合规催收", "沟通技巧"), ("Sub/Slash",)]


def test_equals_marks_the_right_answer_and_tilde_the_wrong_ones():
    question = only("Colour?{=yellow ~red ~blue}")
    assert question.type == "single"
    assert choices(question) == [
        ("yellow", Decimal(1), ""),
        ("red", Decimal(0), ""),
        ("blue", Decimal(0), ""),
    ]


def test_weights_without_an_equals_answer_make_a_multiple_choice_question():
    question = only("Which?{\n~%50%yellow\n~%-100%red\n~%50%off-beige\n~%-50%blue}")
    assert question.type == "multiple"
    assert [c.fraction for c in question.choices] == [
        Decimal("0.5"),
        Decimal("-1"),
        Decimal("0.5"),
        Decimal("-0.5"),
    ]
    assert [c.where for c in question.choices] == ["line 2", "line 3", "line 4", "line 5"]


def test_a_hash_adds_feedback_to_an_answer_and_four_add_general_feedback():
    question = only(
        "::Q2:: What's between orange and green?\n{\n"
        "    =yellow # right; good!\n"
        "    ~red # [html]wrong, it's <b>yellow</b>\n"
        "    ~[plain]blue # wrong\n"
        "    ####[html]<p>The <i>spectrum</i>.</p>\n}"
    )
    assert choices(question) == [
        ("yellow", Decimal(1), "right; good!"),
        ("red", Decimal(0), "wrong, it's yellow"),
        ("blue", Decimal(0), "wrong"),
    ]
    assert question.explanation == "<p>The <i>spectrum</i>.</p>"


@pytest.mark.parametrize(
    ("answer", "true_fraction"), [("T", 1), ("TRUE", 1), ("F", 0), ("FALSE", 0)]
)
def test_true_false_accepts_t_true_f_and_false(answer, true_fraction):
    question = only(f"债务可以转让。{{{answer}}}")
    assert question.type == "truefalse"
    assert choices(question) == [
        (TRUE_TEXT, Decimal(true_fraction), ""),
        (FALSE_TEXT, Decimal(1 - true_fraction), ""),
    ]


def test_true_false_feedback_is_wrong_answer_first_then_right_answer():
    question = only(
        "::Q1:: 42 is the Absolute Answer to everything.{\n"
        "FALSE#42 is the Ultimate Answer.#You gave the right answer.\n"
        "####This is, of course, a Hitchiker's Guide to the Galaxy reference.}"
    )
    assert choices(question) == [
        ("正确", Decimal(0), "42 is the Ultimate Answer."),
        ("错误", Decimal(1), "You gave the right answer."),
    ]
    assert "Hitchiker" in question.explanation


def test_lowercase_true_is_a_short_answer_question_and_the_report_says_why():
    (skipped,) = parse("::TF::天是蓝的。{true}").unsupported
    assert (skipped.name, skipped.qtype, skipped.where) == ("TF", "shortanswer", "line 1")
    assert "capitals" in skipped.message


def test_escaped_control_characters_are_literal_text():
    question = only(
        r"::Esc\:ape::Which is 5\? \{ \} \# \\ \: {~ \= 2 + 2 # \# hash =\= 2 + 3 ~a\~b\nc}"
    )
    assert question.name == "Esc:ape"
    assert question.stem == r"<p>Which is 5\? { } # \ :</p>"
    assert choices(question) == [
        ("= 2 + 2", Decimal(0), "# hash"),
        ("= 2 + 3", Decimal(1), ""),
        ("a~b\nc", Decimal(0), ""),
    ]


def test_a_multi_line_question_keeps_its_line_breaks():
    question = only(
        "::Kanji::Japanese characters originally\ncame from what country?{=China ~Korea}"
    )
    assert question.stem == "<p>Japanese characters originally<br/>came from what country?</p>"


def test_text_after_the_answers_makes_a_missing_word_question():
    question = only("催收人员{=不得 ~可以}向债务人的亲友透露其债务信息。")
    assert question.stem == "<p>催收人员_____向债务人的亲友透露其债务信息。</p>"


@pytest.mark.parametrize(
    ("text", "stem"),
    [
        ("[html]<p>Keep <b>this</b></p>", "<p>Keep <b>this</b></p>"),
        ("[plain]1 < 2 & <b>", "<p>1 &lt; 2 &amp; &lt;b&gt;</p>"),
        ("[moodle]Inline <b>HTML</b>\nand breaks", "<p>Inline <b>HTML</b><br/>and breaks</p>"),
        ("Para one\\n\\nPara two", "<p>Para one</p><p>Para two</p>"),
        ("[markdown]Who is in **Grant's tomb**?", "<p>Who is in <b>Grant's tomb</b>?</p>"),
    ],
)
def test_text_formats_become_html(text, stem):
    question = only(text + "{=a ~b}")
    assert question.stem == stem


def test_answers_take_the_question_format_unless_they_set_their_own():
    question = only("[html]<p>Q</p>{=<b>bold</b> ~[plain]<b>literal</b> ~[moodle]x < y}")
    assert [c.text for c in question.choices] == ["bold", "<b>literal</b>", "x < y"]


def test_chinese_punctuation_is_ordinary_text():
    question = only(
        "::第二百九十三条之一::根据《刑法》，下列说法正确的是：（单选）{\n"
        "=构成“催收非法债务罪”；情节严重的，处三年以下有期徒刑！#对！\n"
        "~不构成犯罪～只是违约＝没有责任#错。\n}"
    )
    assert question.name == "第二百九十三条之一"
    assert question.stem == "<p>根据《刑法》，下列说法正确的是：（单选）</p>"
    assert choices(question) == [
        ("构成“催收非法债务罪”；情节严重的，处三年以下有期徒刑！", Decimal(1), "对！"),
        ("不构成犯罪～只是违约＝没有责任", Decimal(0), "错。"),
    ]


def test_full_width_braces_are_an_error_that_says_so():
    (error,) = parse("\n\n::全角::这道题用了全角括号｛=对 ~错｝").errors
    assert (error.where, error.name) == ("line 3", "全角")
    assert "full-width" in error.message


def test_full_width_answer_marks_are_pointed_out():
    (skipped,) = parse("题目？{＝对 ～错}").unsupported
    assert skipped.qtype == "shortanswer"
    assert "full-width" in skipped.message


def test_id_number_and_tags_come_from_comments():
    question = only("// question: 3\n// [id:rule-7\\]a] [tag:征信] [tag: 多选 ]\nQ?{=a ~b}")
    assert question.idnumber == "rule-7]a"
    assert question.tags == ["征信", "多选"]


def test_unsupported_types_are_reported_with_name_type_and_line():
    result = parse(
        "// essay\n::Q8:: How are you? {}\n\n"
        "::Match::[html]Match.{\n=a -> b\n=c -> d\n}\n\n"
        "::Num::What? {#3:2}\n\n"
        "::Short::Best animal?{=Frog =%50%Cat}\n\n"
        "::Desc::Just text.\n"
    )
    assert [str(p) for p in result.unsupported] == [
        'skipped "Q8" (essay, line 2)',
        'skipped "Match" (matching, line 4)',
        'skipped "Num" (numerical, line 9)',
        'skipped "Short" (shortanswer, line 11)',
        'skipped "Desc" (description, line 13)',
    ]
    assert result.questions == []


def test_a_missing_brace_is_an_error_on_its_line():
    result = parse("::Open::Question\n{\n=a\n~b\n\n::Close::Q2 =a ~b}\n")
    assert [(e.where, e.name) for e in result.errors] == [("line 2", "Open"), ("line 6", "Close")]


def test_two_answer_blocks_without_a_blank_line_between_are_an_error():
    (error,) = parse("First?{=a ~b}\nSecond?{=c ~d}").errors
    assert error.where == "line 2"
    assert "blank line" in error.message


def test_an_unclosed_title_is_an_error():
    (error,) = parse("::Name without end: Q?{=a ~b}").errors
    assert error.where == "line 1"


def test_text_before_the_first_answer_is_reported():
    question = parse("Q?{stray =a ~b}").questions[0]
    assert question.problems == ["line 1: text before the first answer (answers start with = or ~)"]


def test_a_file_that_is_not_utf8_is_rejected_with_the_line():
    result = parse_gift("Q?{=a ~b}\n\n题目？{=对 ~错}".encode("gb18030"))
    (problem,) = result.fatal
    assert problem.where == "line 3"
    assert "UTF-8" in problem.message


def test_a_byte_order_mark_and_windows_line_ends_are_accepted():
    result = parse_gift("\ufeff::A::Q?\r\n{=a\r\n~b}\r\n\r\n::B::R?{T}".encode())
    assert [q.name for q in result.questions] == ["A", "B"]
    assert result.questions[1].where == "line 5"


@pytest.mark.parametrize(
    "text", ["a = b", "x~y", "#1 {set}", "path\\to\\file", "8:00–21:00", "line\nbreak", "\\n"]
)
def test_escape_protects_every_control_character(text):
    question = only(f"Q?{{={escape(text)} ~other}}")
    assert question.choices[0].text == text


def test_written_gift_has_categories_names_formats_weights_and_feedback(db):
    bank = make_bank("导出")
    category = make_category(bank, "合规")
    make_question(
        bank,
        make_category(bank, "个人信息", parent=category),
        "multiple",
        [("同事", "0.5", "对：属于第三方"), ("邻居", "0.5", ""), ("本人", "-1", "错")],
        "<p>总体反馈</p>",
        name="披露对象",
        stem="<p>不得向谁披露？{多选}</p>",
    )
    text, export = write_gift(bank)
    assert export.count == 1
    assert "$CATEGORY: $course$/合规/个人信息\n" in text
    assert (
        "::披露对象::[html]<p>不得向谁披露？\\{多选\\}</p>{\n"
        "\t~%50%同事#对：属于第三方\n"
        "\t~%50%邻居\n"
        "\t~%-100%本人#错\n"
        "\t####<p>总体反馈</p>\n"
        "}\n"
    ) in text
    (question,) = parse(text).questions
    assert choices(question) == [
        ("同事", Decimal("0.5"), "对：属于第三方"),
        ("邻居", Decimal("0.5"), ""),
        ("本人", Decimal("-1"), "错"),
    ]
    assert question.category == ("合规", "个人信息")
