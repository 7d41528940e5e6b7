"""Moodle XML: reading (:func:`parse_moodle_xml`) and writing (:func:`write_moodle_xml`).

Reading follows Moodle's reader (question/format/xml/format.php): ``<question type="category">``
switches the category (with its ``<info>`` and ``<idnumber>``); ``multichoice`` (``<single>``
true or false) and ``truefalse`` questions are read with their answers (``fraction`` in
percent), feedback, general feedback, default mark, ``<hidden>``, ID number and tags; files
embedded as ``<file name="..." encoding="base64">`` (and Moodle 1.9's ``<image>`` with
``<image_base64>``, which Moodle appends to the question text) are kept for
:mod:`exams.importing` to turn into Wagtail images. Every other type is reported as
unsupported. Places are given as the question's position among the file's ``<question>``
elements (categories included) and its line.

The file is parsed with defusedxml (no DTDs, entities or external references: a question
file never needs them, and they are how XML bombs and file disclosure work).

Writing produces what Moodle's own exporter writes for these types, so that Moodle imports
it and our exported categories match Moodle's fixtures (``export_category.xml``).
"""

from __future__ import annotations

import base64
import binascii
import html as html_lib
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _

from ..models import QuestionBank, QuestionType
from .categories import join_category_path, split_category_path
from .export import BankExport, ExportedQuestion, bank_for_export, fraction_percent
from .formats import (
    HTML,
    MARKDOWN,
    MOODLE,
    PLAIN,
    default_name,
    plain_name,
    text_to_html,
    to_html,
    to_text,
)
from .parsed import (
    FALSE_TEXT,
    ONE,
    PLUGINFILE,
    TRUE_TEXT,
    ParsedCategory,
    ParsedChoice,
    ParsedQuestion,
    ParseResult,
    Problem,
)

if TYPE_CHECKING:
    from pyexpat import XMLParserType

FORMAT_NAMES = {
    "html": HTML,
    "moodle_auto_format": MOODLE,
    "plain_text": PLAIN,
    "markdown": MARKDOWN,
}
SUPPORTED = {"multichoice", "truefalse"}


class _LineBuilder(ElementTree.TreeBuilder):
    """Remembers the line each element starts on, for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[ElementTree.Element, int] = {}
        self.expat: XMLParserType | None = None  # set before parsing starts

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[element] = self.expat.CurrentLineNumber
        return element


def _text(element: ElementTree.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _format(element: ElementTree.Element | None, default: str) -> str:
    if element is None:
        return default
    return FORMAT_NAMES.get(element.get("format", ""), default)


def parse_moodle_xml(data: bytes) -> ParseResult:
    result = ParseResult()
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except ElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        result.fatal.append(
            Problem(
                _("line %(line)d") % {"line": line},
                _("not well-formed XML: %(error)s") % {"error": exc},
            )
        )
        return result
    except DefusedXmlException:
        result.fatal.append(
            Problem(
                _("file"), _("the file declares a DTD or entities, which question files never need")
            )
        )
        return result
    if root.tag != "quiz":
        result.fatal.append(
            Problem(
                _("line %(line)d") % {"line": builder.lines.get(root, 1)},
                _("the root element is <%(tag)s>; a Moodle XML file starts with <quiz>")
                % {"tag": root.tag},
            )
        )
        return result
    _Reader(result, builder.lines).read(root)
    return result


class _Reader:
    def __init__(self, result: ParseResult, lines: dict) -> None:
        self.result = result
        self.lines = lines
        self.category: tuple[str, ...] = ()

    def where(self, index: int, element: ElementTree.Element) -> str:
        return _("question %(index)d (line %(line)d)") % {
            "index": index,
            "line": self.lines.get(element, 0),
        }

    def read(self, root: ElementTree.Element) -> None:
        for index, element in enumerate(root.findall("question"), start=1):
            kind = element.get("type", "")
            where = self.where(index, element)
            if kind == "category":
                self.read_category(element)
                continue
            name = plain_name(_text(element.find("name")))
            if kind not in SUPPORTED:
                self.result.unsupported.append(
                    Problem(where, "", name or "?", kind or _("no type"))
                )
                continue
            self.result.questions.append(self.read_question(element, kind, name, where))

    def read_category(self, element: ElementTree.Element) -> None:
        self.category = split_category_path(_text(element.find("category")))
        info = element.find("info")
        self.result.categories.append(
            ParsedCategory(
                self.category,
                info=to_text(_text(info), _format(info, MOODLE)),
                idnumber=_text(element, "idnumber"),
            )
        )

    def files(self, element: ElementTree.Element | None, question: ParsedQuestion) -> dict:
        files = {}
        for file in element.findall("file") if element is not None else []:
            name = file.get("name", "")
            try:
                files[name] = base64.b64decode("".join((file.text or "").split()), validate=True)
            except (binascii.Error, ValueError):
                question.problems.append(
                    _("the embedded file %(name)s is not valid base64 data") % {"name": name}
                )
        return files

    def read_question(
        self, element: ElementTree.Element, kind: str, name: str, where: str
    ) -> ParsedQuestion:
        text = element.find("questiontext")
        fmt = _format(text, MOODLE)
        question = ParsedQuestion(
            name=name,
            type=QuestionType.TRUE_FALSE if kind == "truefalse" else QuestionType.SINGLE,
            stem=to_html(_text(text), fmt),
            where=where,
            category=self.category,
            idnumber=_text(element, "idnumber"),
            active=_text(element, "hidden") not in {"1", "true"},
            tags=[t for t in (_text(tag) for tag in element.findall("tags/tag")) if t],
        )
        general = element.find("generalfeedback")
        question.explanation = to_html(_text(general), _format(general, fmt))
        question.files = {**self.files(general, question), **self.files(text, question)}
        self.legacy_image(element, question)
        question.name = question.name or default_name(question.stem)
        mark = _text(element, "defaultgrade")
        if mark:
            try:
                question.default_mark = Decimal(mark)
            except InvalidOperation:
                question.problems.append(
                    _("the default mark %(mark)s is not a number") % {"mark": mark}
                )
        if kind == "truefalse":
            self.truefalse(element, question, fmt)
        else:
            single = _text(element, "single").lower() not in {"false", "0"}
            question.type = QuestionType.SINGLE if single else QuestionType.MULTIPLE
            for answer in element.findall("answer"):
                choice = self.answer(answer, question, fmt)
                if choice is not None:
                    question.choices.append(choice)
        return question

    def legacy_image(self, element: ElementTree.Element, question: ParsedQuestion) -> None:
        """Moodle 1.9's ``<image>`` + ``<image_base64>``: appended to the text, as Moodle does."""
        name = _text(element, "image").replace("/", "_")
        encoded = "".join(_text(element, "image_base64").split())
        if not (name and encoded):
            return
        try:
            question.files[name] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            question.problems.append(
                _("the embedded file %(name)s is not valid base64 data") % {"name": name}
            )
            return
        question.stem += f' <img src="{PLUGINFILE}{quote(name)}" alt=""/>'

    def fraction(self, answer: ElementTree.Element, question: ParsedQuestion) -> Decimal | None:
        raw = answer.get("fraction", "0")
        try:
            return Decimal(raw) / 100
        except InvalidOperation:
            question.problems.append(
                _("%(where)s: the grade %(grade)s is not a number")
                % {"where": self.line(answer), "grade": raw}
            )
            return None

    def line(self, element: ElementTree.Element) -> str:
        return _("line %(line)d") % {"line": self.lines.get(element, 0)}

    def answer(
        self, answer: ElementTree.Element, question: ParsedQuestion, fmt: str
    ) -> ParsedChoice | None:
        fraction = self.fraction(answer, question)
        if fraction is None:
            return None
        answer_format = _format(answer, fmt)
        raw = _text(answer)
        if answer_format == HTML and "<img" in raw:
            question.notes.append(
                _("%(where)s: the image in this choice was left out (choices hold text only)")
                % {"where": self.line(answer)}
            )
        feedback = answer.find("feedback")
        return ParsedChoice(
            to_text(raw, answer_format),
            fraction,
            to_text(_text(feedback), _format(feedback, fmt)),
            where=self.line(answer),
        )

    def truefalse(self, element: ElementTree.Element, question: ParsedQuestion, fmt: str) -> None:
        """Moodle matches the answers on their text, ``true`` and ``false``; old files that
        give other (translated) texts list true first."""
        answers = element.findall("answer")
        if len(answers) != 2:
            question.problems.append(
                _("a true/false question needs two answers, true and false; this one has %(count)d")
                % {"count": len(answers)}
            )
            return
        true_choice = ParsedChoice(TRUE_TEXT, Decimal("0"))
        false_choice = ParsedChoice(FALSE_TEXT, Decimal("0"))
        for position, answer in enumerate(answers):
            text = _text(answer).lower()
            if text not in {"true", "false"}:
                text = "true" if position == 0 else "false"
            choice = true_choice if text == "true" else false_choice
            fraction = self.fraction(answer, question)
            choice.fraction = ONE if fraction == ONE else Decimal("0")
            feedback = answer.find("feedback")
            choice.feedback = to_text(_text(feedback), _format(feedback, fmt))
            choice.where = self.line(answer)
        question.choices = [true_choice, false_choice]


# --- writing ---------------------------------------------------------------------------------


def _escape_text(text: str) -> str:
    """Moodle's xml_escape: text with markup characters goes in CDATA, anything else as is."""
    if text and html_lib.escape(text) != text:
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return text


def _text_element(tag: str, text: str, fmt: str | None = None, indent: int = 2) -> list[str]:
    pad = "  " * indent
    attrs = f' format="{fmt}"' if fmt else ""
    return [f"{pad}<{tag}{attrs}>", f"{pad}  <text>{_escape_text(text)}</text>", f"{pad}</{tag}>"]


def _category(category, path: tuple[str, ...]) -> list[str]:
    return [
        "<!-- question: 0  -->",
        '  <question type="category">',
        *_text_element("category", join_category_path(path)),
        *_text_element("info", category.info, "moodle_auto_format"),
        f"    <idnumber>{html_lib.escape(category.idnumber, quote=False)}</idnumber>",
        "  </question>",
        "",
    ]


def _answer(fraction: Decimal, text: str, fmt: str, feedback: str) -> list[str]:
    return [
        f'    <answer fraction="{fraction_percent(fraction)}" format="{fmt}">',
        f"      <text>{_escape_text(text)}</text>",
        '      <feedback format="html">',
        f"        <text>{_escape_text(text_to_html(feedback))}</text>",
        "      </feedback>",
        "    </answer>",
    ]


def _question(item: ExportedQuestion) -> list[str]:
    question = item.question
    kind = "truefalse" if question.type == QuestionType.TRUE_FALSE else "multichoice"
    files = [
        f'      <file name="{html_lib.escape(name)}" path="/" encoding="base64">'
        f"{base64.b64encode(data).decode()}</file>"
        for name, data in item.files.items()
    ]
    text = _text_element("questiontext", item.stem, "html")
    lines = [
        f"<!-- question: {question.pk}  -->",
        f'  <question type="{kind}">',
        *_text_element("name", question.name),
        *text[:2],
        *files,
        text[2],
        *_text_element("generalfeedback", item.explanation, "html"),
        f"    <defaultgrade>{question.default_mark:.7f}</defaultgrade>",
        f"    <penalty>{'1.0000000' if kind == 'truefalse' else '0.3333333'}</penalty>",
        f"    <hidden>{0 if question.active else 1}</hidden>",
        f"    <idnumber>{html_lib.escape(question.idnumber, quote=False)}</idnumber>",
    ]
    if kind == "truefalse":
        true_choice, false_choice = item.true_choice, item.false_choice
        # export_bank skips a true/false question without its two choices.
        assert true_choice is not None and false_choice is not None
        lines += _answer(true_choice.fraction, "true", "moodle_auto_format", true_choice.feedback)
        lines += _answer(
            false_choice.fraction, "false", "moodle_auto_format", false_choice.feedback
        )
    else:
        single = "true" if question.type == QuestionType.SINGLE else "false"
        lines += [
            f"    <single>{single}</single>",
            "    <shuffleanswers>true</shuffleanswers>",
            "    <answernumbering>abc</answernumbering>",
            "    <showstandardinstruction>0</showstandardinstruction>",
        ]
        for name in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
            lines += _text_element(name, "", "html")
        for choice in item.choices:
            lines += _answer(choice.fraction, text_to_html(choice.text), "html", choice.feedback)
    tags = sorted(tag.name for tag in question.tags.all())
    if tags:
        lines.append("    <tags>")
        lines += [f"      <tag><text>{_escape_text(tag)}</text></tag>" for tag in tags]
        lines.append("    </tags>")
    return [*lines, "  </question>", ""]


def write_moodle_xml(bank: QuestionBank) -> tuple[str, BankExport]:
    """The bank as Moodle XML, and what was written or left out (case questions)."""
    export = bank_for_export(bank)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for category, path, questions in export.categories:
        lines += _category(category, path)
        for item in questions:
            lines += _question(item)
    lines.append("</quiz>")
    return "\n".join(lines) + "\n", export
