"""``manage.py import_questions``: GIFT and Moodle XML into a bank, all or nothing."""

from __future__ import annotations

import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model

from exams.models import Choice, Question, QuestionBank, QuestionCategory

FIXTURES = Path(__file__).resolve().parents[2] / "exams" / "fixtures"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run(path: Path | str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_questions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(path: Path | str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_questions", str(path), *args, stdout=out, stderr=err)
    return str(failure.value), err.getvalue() + out.getvalue()


def categories(bank: QuestionBank) -> set[str]:
    return {c.path for c in QuestionCategory.objects.filter(bank=bank)}


def test_it_imports_the_chinese_gift_file_with_categories_feedback_and_an_image(db):
    out, err = run(FIXTURES / "questions_zh.gift", "--bank", "合规题库")
    assert "imported 9, skipped 1 (unsupported: 1 essay) into bank 合规题库" in out
    assert 'skipped "谈话记录" (essay, line 53)' in out
    assert err == ""
    bank = QuestionBank.objects.get(name="合规题库")
    assert categories(bank) == {"合规催收", "合规催收/催收时间与方式", "合规催收/沟通技巧"}

    timing = Question.objects.get(name="联系时间")
    assert timing.type == "single"
    assert timing.category.path == "合规催收/催收时间与方式"
    assert timing.idnumber == "zh-gift-001"
    assert list(timing.tags.names()) == ["催收时间"]
    assert timing.stem == "<p>债务催收人员可以在什么时间段联系债务人？</p>"
    assert timing.explanation.startswith("<p>依据监管要求")
    assert [(c.text, c.fraction, c.feedback) for c in timing.choices.all()] == [
        ("在合理时间内，例如 8:00 至 21:00 之间", Decimal(1), "正确：应当在合理时间内联系。"),
        ("任何时间都可以，越频繁越好", Decimal(0), "错误：频繁联系属于骚扰。"),
        ("只能在深夜联系", Decimal(0), "错误：深夜联系干扰他人正常生活。"),
    ]

    privacy = Question.objects.get(name="个人信息保护")
    assert privacy.type == "multiple"
    assert [c.fraction for c in privacy.choices.all()] == [
        Decimal("0.5"),
        Decimal("0.5"),
        Decimal(-1),
    ]

    impersonation = Question.objects.get(name="冒充公检法")
    assert impersonation.type == "truefalse"
    assert [(c.text, c.fraction, c.feedback) for c in impersonation.choices.all()] == [
        ("正确", Decimal(0), "冒充国家机关工作人员是违法行为。"),
        ("错误", Decimal(1), "回答正确：不得冒充公检法人员。"),
    ]
    assert Question.objects.get(name="Markdown 示例").stem == (
        "<p>催收沟通中<b>不得</b>使用侮辱性、威胁性语言。</p>"
    )

    image = get_image_model().objects.get()
    assert (image.width, image.height) == (8, 6)
    assert Question.objects.get(name="图片题").stem == (
        "<p>下图标志是什么颜色？</p><p>"
        f'<embed alt="红色标志" embedtype="image" format="fullwidth" id="{image.pk}"/></p>'
    )


def test_it_imports_the_chinese_moodle_xml_file_with_an_embedded_image(db):
    out, _err = run(FIXTURES / "questions_zh.xml", "--bank", "XML 题库")
    assert "imported 3, skipped 2 (unsupported: 1 essay, 1 shortanswer)" in out
    assert 'skipped "罪名填空" (shortanswer, question 7 (line 126))' in out
    assert 'skipped "案例分析" (essay, question 8 (line 138))' in out
    bank = QuestionBank.objects.get(name="XML 题库")
    top = QuestionCategory.objects.get(bank=bank, parent=None)
    assert (top.name, top.info, top.idnumber) == ("合规催收", "合规催收的基本要求", "compliance")
    assert categories(bank) == {"合规催收", "合规催收/个人信息", "合规催收/沟通技巧"}

    flag = Question.objects.get(name="红色标志")
    image = get_image_model().objects.get()
    assert image.title == "标志"
    assert f'<embed alt="标志" embedtype="image" format="fullwidth" id="{image.pk}"/>' in flag.stem
    assert (flag.idnumber, flag.default_mark, flag.explanation) == (
        "zh-xml-001",
        Decimal(2),
        "<p>红色表示<b>禁止</b>。</p>",
    )
    assert list(flag.tags.names()) == ["图片"]
    disclosure = Question.objects.get(name="不得向第三方披露")
    assert [c.fraction for c in disclosure.choices.all()] == [Decimal("0.3333333")] * 3 + [
        Decimal(-1)
    ]
    recording = Question.objects.get(name="录音告知")
    assert [(c.text, c.fraction, c.feedback) for c in recording.choices.all()] == [
        ("正确", Decimal(1), "回答正确。"),
        ("错误", Decimal(0), "应当告知，这是透明催收的要求。"),
    ]


def test_the_format_comes_from_the_extension_unless_given(db, tmp_path):
    renamed = tmp_path / "questions.dat"
    shutil.copy(FIXTURES / "questions_zh.gift", renamed)
    message, _output = fails(renamed, "--bank", "B")
    assert "--format" in message
    out, _err = run(renamed, "--bank", "B", "--format", "gift")
    assert "imported 9" in out


def test_a_file_with_errors_imports_nothing_and_names_every_line(db):
    message, output = fails(FIXTURES / "invalid.gift", "--bank", "错误题库")
    assert message == (
        f"4 question(s) with errors in {FIXTURES / 'invalid.gift'}; nothing was imported "
        "(--skip-invalid imports the valid questions)"
    )
    assert 'line 9 "缺少括号": the answers must be enclosed in { and }' in output
    assert 'line 15 "全角括号": no answers in { }: full-width braces' in output
    assert 'line 3 "等级错误": invalid grade 33% (0.33) for choice 1 (line 4)' in output
    assert 'line 3 "等级错误": invalid grade 34% (0.34) for choice 3 (line 6)' in output
    assert 'line 13 "两个满分答案": A single-choice question needs exactly one choice' in output
    assert not QuestionBank.objects.exists()
    assert not Question.objects.exists()


def test_skip_invalid_imports_the_valid_questions_and_lists_the_others(db):
    out, err = run(FIXTURES / "invalid.gift", "--bank", "错误题库", "--skip-invalid")
    assert "imported 1, skipped 4 (invalid: 4)" in out
    assert 'skipped line 9 "缺少括号"' in err
    assert list(Question.objects.values_list("name", flat=True)) == ["正确的题"]


def test_moodle_xml_errors_name_the_question_and_its_line(db):
    _message, output = fails(FIXTURES / "invalid.xml", "--bank", "B")
    assert (
        'question 1 (line 4) "等级不在 Moodle 列表中": '
        "invalid grade 33% (0.33) for choice 1 (line 8)"
    ) in output
    assert 'question 2 (line 13) "没有正确答案的判断题": A true/false question needs' in output
    assert (
        'question 3 (line 19) "只有一个选项": A single-choice question needs at least two' in output
    )
    assert not Question.objects.exists()


def test_a_file_with_nothing_to_import_fails(db, tmp_path):
    path = tmp_path / "essays.gift"
    path.write_text("::E1::Explain.{}\n\n::E2::Describe.{}\n", encoding="utf-8")
    message, output = fails(path, "--bank", "B")
    assert message == f"{path} cannot be imported; nothing was imported"
    assert 'skipped "E1" (essay, line 1)' in output
    assert "file: the file contains no question that can be imported" in output
    assert not QuestionBank.objects.exists()


def test_id_numbers_already_used_in_the_bank_are_errors(db):
    run(FIXTURES / "questions_zh.gift", "--bank", "B")
    _message, output = fails(FIXTURES / "questions_zh.gift", "--bank", "B")
    assert 'line 7 "联系时间": the ID number "zh-gift-001" is already used in this bank' in output
    out, _err = run(FIXTURES / "questions_zh.gift", "--bank", "B", "--skip-invalid")
    assert "imported 7, skipped 3" in out
    assert QuestionCategory.objects.count() == 3  # the existing categories were reused


def test_html_from_a_file_is_sanitised(db, tmp_path):
    path = tmp_path / "xss.gift"
    path.write_text(
        '::X::[html]<p onclick\\="steal()">Hi<script>alert(1)</script> '
        '<a href\\="javascript\\:alert(1)">x</a> <img src\\="http\\://evil/x.png"></p>{=a ~b}',
        encoding="utf-8",
    )
    out, err = run(path, "--bank", "B")
    assert Question.objects.get().stem == "<p>Hialert(1) <a>x</a> </p>"
    assert "the external image http://evil/x.png was removed" in err


def test_the_same_image_is_stored_once(db):
    run(FIXTURES / "questions_zh.xml", "--bank", "One")
    run(FIXTURES / "questions_zh.gift", "--bank", "Two")
    # Both files embed the same red PNG.
    assert get_image_model().objects.count() == 1


def test_a_failure_while_writing_leaves_no_rows_and_no_image_files(db, media, monkeypatch):
    def broken(*args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Choice.objects, "bulk_create", broken)
    with pytest.raises(IntegrityError):
        run(FIXTURES / "questions_zh.xml", "--bank", "B")
    assert not QuestionBank.objects.exists()
    assert not get_image_model().objects.exists()
    assert not [p for p in Path(media).rglob("*") if p.is_file()]


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    message, _output = fails(tmp_path / "nope.gift", "--bank", "B")
    assert message.startswith("cannot read")


def gift_file(tmp_path: Path, count: int) -> Path:
    path = tmp_path / f"many-{count}.gift"
    blocks = [
        f"$CATEGORY: 分类{n % 5}\n\n"
        f"// [id:q{n}] [tag:批量{count}]\n::题{n}::问题{n}？{{=对#好 ~错#不好}}\n"
        for n in range(count)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_the_number_of_queries_does_not_grow_with_the_number_of_questions(db, tmp_path):
    counts = []
    for size in (20, 200):
        with CaptureQueriesContext(connection) as queries:
            run(gift_file(tmp_path, size), "--bank", f"Bank {size}")
        counts.append(len(queries))
    assert Question.objects.filter(bank__name="Bank 200").count() == 200
    assert Question.tags.through.objects.filter(tag__name="批量200").count() == 200
    assert counts[0] == counts[1]


def test_images_of_skipped_questions_are_not_stored(db, tmp_path):
    head = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFElEQVR4nG"
    red = head + "M8ISfHgA0wYRWlkwQAmxQBECiKgAAAAAAASUVORK5CYII\\="
    blue = head + "OUqzjBgA0wYRWlkwQAzcgBasD2cjgAAAAASUVORK5CYII\\="
    path = tmp_path / "images.gift"
    path.write_text(
        f'::Good::[html]<img src\\="data\\:image/png;base64,{red}" alt\\="红">{{=a ~b}}\n\n'
        f'::Bad::[html]<img src\\="data\\:image/png;base64,{blue}" alt\\="蓝">{{=a =b ~c}}\n',
        encoding="utf-8",
    )
    out, _err = run(path, "--bank", "B", "--skip-invalid")
    assert "imported 1, skipped 1 (invalid: 1)" in out
    assert get_image_model().objects.get().title == "image"
