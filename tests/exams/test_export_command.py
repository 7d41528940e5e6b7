"""``manage.py export_questions``: a bank as GIFT or Moodle XML, and back again unchanged."""

from __future__ import annotations

import base64
import re
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.models import Collection

from exams.models import Question, QuestionBank, QuestionCategory
from tests.exams.factories import make_bank, make_category, make_question

FIXTURES = Path(__file__).resolve().parents[2] / "exams" / "fixtures"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFElEQVR4nGOUqzjBgA0wYRWlkwQAzcgBasD2cjgAAAAASUVORK5CYII="
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def import_file(path: Path | str, bank: str, *args: str) -> str:
    out = StringIO()
    call_command(
        "import_questions", str(path), "--bank", bank, *args, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def export(bank: str, fmt: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("export_questions", "--bank", bank, "--format", fmt, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot(bank_name: str, *, xml: bool) -> dict:
    """Everything a round trip must keep (GIFT cannot carry marks, hidden state or category
    descriptions, so those are compared for Moodle XML only)."""
    bank = QuestionBank.objects.get(name=bank_name)
    questions = []
    for q in Question.objects.filter(bank=bank).prefetch_related("choices", "tags"):
        row = (
            q.category.path,
            q.type,
            q.name,
            q.stem,
            q.explanation,
            q.idnumber,
            tuple(sorted(t.name for t in q.tags.all())),
            tuple((c.text, c.fraction, c.feedback) for c in q.choices.all()),
        )
        questions.append(row + ((q.default_mark, q.active) if xml else ()))
    categories = [
        (c.path, c.info, c.idnumber) if xml else (c.path,)
        for c in QuestionCategory.objects.filter(bank=bank)
    ]
    return {"categories": sorted(categories), "questions": sorted(questions)}


def round_trip(bank: str, fmt: str, tmp_path: Path) -> str:
    path = tmp_path / ("export.gift" if fmt == "gift" else "export.xml")
    out, _err = export(bank, fmt, "-o", str(path))
    assert out.startswith("exported ")
    import_file(path, f"{bank} (copy)")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["gift", "moodlexml"])
@pytest.mark.parametrize("fixture", ["questions_zh.gift", "questions_zh.xml"])
def test_importing_an_export_reproduces_the_bank(db, tmp_path, fmt, fixture):
    import_file(FIXTURES / fixture, "原题库")
    round_trip("原题库", fmt, tmp_path)
    xml = fmt == "moodlexml"
    assert snapshot("原题库 (copy)", xml=xml) == snapshot("原题库", xml=xml)
    assert get_image_model().objects.count() == 1  # the image came back as the same image


def bank_built_in_the_admin() -> QuestionBank:
    bank = make_bank("后台题库")
    law = make_category(bank, "法律/法规")  # a slash in a name
    criminal = make_category(bank, "刑法", parent=law)
    empty = make_category(bank, "空分类")
    empty.info = "还没有题目"
    empty.idnumber = "empty & <new>"
    empty.save()
    image = get_image_model()(
        title="蓝色",
        collection=Collection.get_first_root_node(),
        file=ImageFile(BytesIO(PNG), name="blue.png"),
    )
    image._set_image_file_metadata()  # as the admin's upload form does: size and content hash
    image.save()
    single = make_question(
        bank,
        criminal,
        "single",
        [
            ("催收非法债务罪 {第293条之一}", "1", "对：见第二百九十三条之一。"),
            ("寻衅滋事罪 ~ 旧说法", "0", "错：1 < 2 & 3 > 2"),
            ("第一行\n第二行 = 换行", "-0.5", "扣分 #1"),
        ],
        '<p>参见 <a href="https://example.com/law?a=1&amp;b=2">法条</a>。</p>',
        name="罪名：催收",
        stem=(
            "<p>以暴力、胁迫方法催收<b>非法债务</b>，构成什么罪？</p>"
            f'<embed alt="蓝色标志" embedtype="image" format="left" id="{image.pk}"/>'
            "<ul><li>一</li><li>二</li></ul>"
        ),
        default_mark="2.5",
        active=False,
    )
    single.idnumber = "law]293-1"
    single.save()
    single.tags.add("刑法", "催收")
    make_question(
        bank,
        criminal,
        "multiple",
        [
            ("甲", "0.3333333", ""),
            ("乙", "0.3333333", ""),
            ("丙", "0.3333333", ""),
            ("丁", "-1", ""),
        ],
        name="三选",
        stem="<p>选三项。</p>",
    )
    make_question(
        bank,
        law,
        "truefalse",
        [("正确", "0", "错了：不能冒充。"), ("错误", "1", "对。")],
        "<p><i>治安管理处罚法</i></p>",
        name="冒充",
        stem="<p>可以冒充公检法吗？</p>",
    )
    return bank


@pytest.mark.parametrize("fmt", ["gift", "moodlexml"])
def test_a_bank_built_in_the_admin_survives_the_round_trip(db, tmp_path, fmt):
    bank_built_in_the_admin()
    round_trip("后台题库", fmt, tmp_path)
    xml = fmt == "moodlexml"
    assert snapshot("后台题库 (copy)", xml=xml) == snapshot("后台题库", xml=xml)


def test_gift_export_writes_categories_names_html_weights_feedback_and_escapes(db):
    bank_built_in_the_admin()
    text, _err = export("后台题库", "gift")
    assert "$CATEGORY: $course$/法律//法规/刑法\n" in text
    assert "$CATEGORY: $course$/空分类\n" in text
    assert "// [id:law\\]293-1] [tag:催收] [tag:刑法]\n" in text
    assert "::罪名：催收::[html]<p>以暴力、胁迫方法催收<b>非法债务</b>，构成什么罪？</p>" in text
    assert '<img src\\="data\\:image/png;base64,' in text
    assert "\t=催收非法债务罪 \\{第293条之一\\}#对：见第二百九十三条之一。\n" in text
    assert "\t~寻衅滋事罪 \\~ 旧说法#错：1 &lt; 2 &amp; 3 &gt; 2\n" in text
    assert "\t~%-50%第一行<br>第二行 \\= 换行#扣分 \\#1\n" in text
    assert "\t~%33.33333%甲\n" in text
    assert "{FALSE#错了：不能冒充。#对。####<p><i>治安管理处罚法</i></p>}\n" in text


def test_moodle_xml_export_writes_images_as_base64_files(db, tmp_path):
    bank_built_in_the_admin()
    path = tmp_path / "bank.xml"
    out, _err = export("后台题库", "moodlexml", "-o", str(path))
    assert out == f"exported 3 question(s) in 3 categories to {path}\n"
    text = path.read_text(encoding="utf-8")
    (name,) = re.findall(r'<img src="@@PLUGINFILE@@/([^"]+)" alt="蓝色标志"', text)
    (data,) = re.findall(
        rf'<file name="{re.escape(name)}" path="/" encoding="base64">([^<]+)</file>', text
    )
    assert base64.b64decode(data) == PNG
    assert "    <idnumber>empty &amp; &lt;new&gt;</idnumber>\n" in text
    assert "    <hidden>1</hidden>\n" in text
    assert "    <defaultgrade>2.5000000</defaultgrade>\n" in text
    assert '    <answer fraction="-50" format="html">\n' in text


def test_case_questions_are_reported_and_left_out(db):
    bank = make_bank("案例")
    case = make_question(bank, type="case", name="案例一", stem="<p>案情</p>")
    make_question(bank, parent=case, name="子题")
    make_question(bank, name="普通题")
    text, err = export("案例", "moodlexml")
    assert 'skipped "案例一" (case: Moodle has no such question type)' in err
    assert "普通题" in text and "子题" not in text


def test_an_unknown_bank_is_an_error(db):
    with pytest.raises(CommandError, match="no question bank named '没有'"):
        export("没有", "gift")


def test_exporting_reads_a_fixed_number_of_queries(db):
    counts = []
    for size in (5, 50):
        bank = make_bank(f"大题库{size}")
        category = make_category(bank, "分类")
        for number in range(size):
            question = make_question(bank, category, name=f"题{number}")
            question.tags.add("批量")
        with CaptureQueriesContext(connection) as queries:
            export(bank.name, "moodlexml")
        counts.append(len(queries))
    assert counts[0] == counts[1]
