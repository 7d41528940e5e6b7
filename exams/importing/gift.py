"""GIFT, Moodle's plain-text question format: reading (:func:`parse_gift`) and writing
(:func:`write_gift`).

Reading follows Moodle's own reader (question/format/gift/format.php) so that files which
import into Moodle import here the same way:

* questions are separated by blank lines; lines starting with ``//`` are comments, and
  ``[id:...]``/``[tag:...]`` in them set the ID number and tags (as Moodle 3.6+ writes them);
* ``$CATEGORY: path`` switches the category for the questions that follow;
* ``::name::`` names a question, ``[html]``/``[moodle]``/``[plain]``/``[markdown]`` sets the
  format of a text (the question's format is the default for its answers and feedback);
* ``{...}`` holds the answers: ``=right``, ``~wrong``, ``~%50%partly right``, ``#feedback``
  after an answer, ``####general feedback``; ``T``/``TRUE``/``F``/``FALSE`` make a true/false
  question, whose ``#wrong#right`` feedback goes to the choices; text after the block makes a
  "missing word" question (the block becomes ``_____`` in the text);
* ``\\`` escapes ``~ = # { } :`` and ``\\`` itself; ``\\n`` is a line break.

Which answers decide the type is Moodle's rule: no answers → essay, ``#`` first → numerical,
any ``~`` → multiple choice (single when an ``=`` answer exists, otherwise multiple answers),
``=`` with ``->`` → matching, otherwise true/false or short answer. The file must be UTF-8;
Chinese text and punctuation are ordinary characters (full-width ``｛ ｝ ＝ ～ ：：`` are not
GIFT syntax, and the report says so when they seem to be meant as such).

GIFT cannot carry files, so :func:`write_gift` writes images as ``data:`` URIs, which
:mod:`exams.importing` (and Moodle) read back.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from django.utils.translation import gettext as _

from ..models import QuestionBank, QuestionType
from .categories import join_category_path, split_category_path
from .export import BankExport, ExportedQuestion, bank_for_export, fraction_percent
from .formats import HTML, MOODLE, default_name, plain_name, text_to_html, to_html, to_text
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

# Escaped characters become private-use placeholders while the structure is parsed.
_ESCAPES = {"\\": "\ue000", ":": "\ue001", "#": "\ue002", "=": "\ue003"}
_ESCAPES |= {"{": "\ue004", "}": "\ue005", "~": "\ue006", "n": "\ue007"}
_RESTORE = {ord(v): ("\n" if k == "n" else k) for k, v in _ESCAPES.items()}
_ESCAPE_RE = re.compile(r"\\([\\:#={}~n])")
_FORMAT_RE = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^%\s*(-?\d+(?:\.\d+)?)\s*%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_COMMENT_ID = re.compile(r"\[id:\s*((?:\\\]|[^\]\x00-\x1f])+)\]")
_COMMENT_TAG = re.compile(r"\[tag:\s*((?:\\\]|[^\]\x00-\x1f])+)\]")
BLANK = "_____"


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Moodle's parse_text_with_format: an optional ``[format]`` prefix, then unescape."""
    text = text.strip()
    match = _FORMAT_RE.match(text)
    fmt = default
    if match:
        fmt = match.group(1).lower()
        text = text[match.end() :]
    return _restore(text).strip(), fmt


def _line(number: int) -> str:
    return _("line %(line)d") % {"line": number}


def _id_and_tags(comments: str) -> tuple[str, list[str]]:
    match = _COMMENT_ID.search(comments)
    idnumber = match.group(1).replace("\\]", "]").strip() if match else ""
    tags = [t.replace("\\]", "]").strip() for t in _COMMENT_TAG.findall(comments)]
    return idnumber, [t for t in tags if t]


def parse_gift(data: bytes) -> ParseResult:
    result = ParseResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        result.fatal.append(
            Problem(_line(line), _("the file is not UTF-8 text; GIFT files must be saved as UTF-8"))
        )
        return result
    _Reader(result).read(text)
    return result


class _Reader:
    def __init__(self, result: ParseResult) -> None:
        self.result = result
        self.category: tuple[str, ...] = ()

    def read(self, text: str) -> None:
        block: list[tuple[int, str]] = []
        for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
            if line.strip():
                block.append((number, line.strip()))
            elif block:
                self.block(block)
                block = []
        if block:
            self.block(block)

    def block(self, lines: list[tuple[int, str]]) -> None:
        comments = " ".join(line for _n, line in lines if line.startswith("//"))
        body = [(n, "" if line.startswith("//") else line) for n, line in lines]
        while body and not body[0][1]:
            body.pop(0)
        while body and not body[-1][1]:
            body.pop()
        if body and body[0][1].startswith("$CATEGORY:"):
            path = _restore(_protect(body[0][1][len("$CATEGORY:") :]))
            self.category = split_category_path(path)
            self.result.categories.append(ParsedCategory(self.category))
            body = body[1:]
            while body and not body[0][1]:
                body.pop(0)
        if body:
            self.question(body, comments)

    def question(self, body: list[tuple[int, str]], comments: str) -> None:
        first = body[0][0]
        where = _line(first)
        text = _protect("\n".join(line for _n, line in body))

        def line_at(offset: int) -> str:
            return _line(first + text.count("\n", 0, offset))

        name, start = "", 0
        if text.startswith("::"):
            end = text.find("::", 2)
            if end == -1:
                self.result.errors.append(
                    Problem(where, _("the question name is not closed by ::"))
                )
                return
            name = plain_name(_restore(text[2:end]))
            start = end + 2
        opening, closing = text.find("{", start), text.find("}", start)
        if opening == -1 and closing == -1:
            self.no_answers(text[start:], name, where)
            return
        if opening == -1 or closing == -1 or closing < opening:
            at = opening if closing == -1 else closing
            self.result.errors.append(
                Problem(
                    line_at(at),
                    _(
                        "the answers must be enclosed in { and } "
                        "(write a literal brace as \\{ or \\})"
                    ),
                    name,
                )
            )
            return
        stray = [i for i in (text.find("{", closing + 1), text.find("}", closing + 1)) if i != -1]
        if stray:
            self.result.errors.append(
                Problem(
                    line_at(min(stray)),
                    _(
                        "a second answer block: separate questions with a blank line, and write "
                        "a literal brace as \\{ or \\}"
                    ),
                    name,
                )
            )
            return
        after = text[closing + 1 :]
        stem_text, fmt = _with_format(
            text[start:opening] + (BLANK + after if after.strip() else ""), MOODLE
        )
        stem = to_html(stem_text, fmt)
        answers = text[opening + 1 : closing]
        explanation = ""
        general = answers.find("####")
        if general != -1:
            feedback, feedback_format = _with_format(answers[general + 4 :], fmt)
            explanation = to_html(feedback, feedback_format)
            answers = answers[:general]
        question = ParsedQuestion(
            name=name or default_name(stem),
            type="",
            stem=stem,
            where=where,
            explanation=explanation,
            category=self.category,
        )
        question.idnumber, question.tags = _id_and_tags(comments)
        if not name and stem_text.startswith("：："):
            question.notes.append(_("full-width colons ：： do not mark a question name in GIFT"))
        compact = answers.strip()
        kind = self.kind(compact)
        if kind == "multichoice":
            self.multichoice(question, answers, fmt, lambda i: line_at(opening + 1 + i))
        elif kind == "truefalse":
            self.truefalse(question, compact, fmt)
        else:
            hint = ""
            if any(c in compact for c in "＝～｛｝"):
                hint = _("full-width ＝ ～ are not GIFT syntax: use = and ~")
            elif kind == "shortanswer" and compact.split("#")[0].strip().upper() in _TRUE_FALSE:
                hint = _("write T, TRUE, F or FALSE in capitals for a true/false question")
            self.result.unsupported.append(Problem(where, hint, question.name, kind))
            return
        self.result.questions.append(question)

    def no_answers(self, text: str, name: str, where: str) -> None:
        if "｛" in text or "｝" in text:
            self.result.errors.append(
                Problem(
                    where,
                    _("no answers in { }: full-width braces ｛ ｝ are not GIFT syntax"),
                    name,
                )
            )
            return
        body, fmt = _with_format(text, MOODLE)
        self.result.unsupported.append(
            Problem(where, "", name or default_name(to_html(body, fmt)), "description")
        )

    @staticmethod
    def kind(answers: str) -> str:
        if not answers:
            return "essay"
        if answers.startswith("#"):
            return "numerical"
        if "~" in answers:
            return "multichoice"
        if "=" in answers and "->" in answers:
            return "matching"
        if answers.split("#", 1)[0].strip() in _TRUE_FALSE:
            return "truefalse"
        return "shortanswer"

    def multichoice(self, question: ParsedQuestion, answers: str, fmt: str, line_at) -> None:
        question.type = QuestionType.SINGLE if "=" in answers else QuestionType.MULTIPLE
        marks = [m.start() for m in re.finditer(r"[~=]", answers)]
        if answers[: marks[0]].strip():
            question.problems.append(
                _("%(where)s: text before the first answer (answers start with = or ~)")
                % {"where": line_at(0)}
            )
        for index, start in enumerate(marks):
            end = marks[index + 1] if index + 1 < len(marks) else len(answers)
            where = line_at(start)
            body = answers[start + 1 : end].strip()
            fraction = ONE if answers[start] == "=" else Decimal("0")
            weight = _WEIGHT_RE.match(body)
            if weight:
                try:
                    fraction = Decimal(weight.group(1)) / 100
                except InvalidOperation:  # pragma: no cover - the pattern only allows numbers
                    pass
                body = body[weight.end() :]
            elif body.startswith("%") and body.count("%") >= 2:
                question.problems.append(
                    _("%(where)s: the weight %(weight)s is not a percentage like %%50%%")
                    % {"where": where, "weight": _restore(body[: body.index("%", 1) + 1])}
                )
            text, _sep, feedback = body.partition("#")
            text, text_format = _with_format(text, fmt)
            feedback, feedback_format = _with_format(feedback, fmt)
            question.choices.append(
                ParsedChoice(
                    to_text(text, text_format),
                    fraction,
                    to_text(feedback, feedback_format),
                    where=where,
                )
            )

    def truefalse(self, question: ParsedQuestion, answers: str, fmt: str) -> None:
        question.type = QuestionType.TRUE_FALSE
        parts = answers.split("#", 2)
        correct = _TRUE_FALSE[parts[0].strip()]
        wrong, right = ("", "")
        if len(parts) > 1:
            wrong = to_text(*_with_format(parts[1], fmt))
        if len(parts) > 2:
            right = to_text(*_with_format(parts[2], fmt))
        # Moodle: the first feedback is for a wrong answer, the second for the right one.
        question.choices = [
            ParsedChoice(TRUE_TEXT, ONE if correct else Decimal("0"), right if correct else wrong),
            ParsedChoice(FALSE_TEXT, Decimal("0") if correct else ONE, wrong if correct else right),
        ]


# --- writing ---------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Moodle's repchar: escape GIFT's control characters and line breaks."""
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _with_data_uris(html: str, files: dict[str, bytes]) -> str:
    def inline(match: re.Match) -> str:
        name = unquote(match.group(1))
        data = files.get(name)
        if data is None:
            return match.group(0)
        mime = mimetypes.guess_type(name)[0] or "image/png"
        return f'src="data:{mime};base64,{base64.b64encode(data).decode()}"'

    return re.sub(r'src="' + re.escape(PLUGINFILE) + r'([^"]*)"', inline, html)


def _bracket(text: str) -> str:
    return text.replace("]", "\\]")


def _html_answer(text: str) -> str:
    return escape(text_to_html(text))


def _question(item: ExportedQuestion) -> str:
    question = item.question
    lines = [f"// question: {question.pk}  name: {question.name}"]
    bits = [f"[id:{_bracket(question.idnumber)}]"] if question.idnumber else []
    bits += [f"[tag:{_bracket(name)}]" for name in sorted(t.name for t in question.tags.all())]
    if bits:
        lines.append("// " + " ".join(bits))
    head = f"::{escape(question.name)}::[{HTML}]{escape(_with_data_uris(item.stem, item.files))}"
    general = f"####{escape(item.explanation)}" if item.explanation else ""
    if question.type == QuestionType.TRUE_FALSE:
        true_choice, false_choice = item.true_choice, item.false_choice
        # export_bank skips a true/false question without its two choices.
        assert true_choice is not None and false_choice is not None
        correct = true_choice.fraction == ONE
        right, wrong = (true_choice, false_choice) if correct else (false_choice, true_choice)
        answer = "TRUE" if correct else "FALSE"
        if wrong.feedback:
            answer += "#" + _html_answer(wrong.feedback)
        elif right.feedback:
            answer += "#"
        if right.feedback:
            answer += "#" + _html_answer(right.feedback)
        lines.append(f"{head}{{{answer}{general}}}")
    else:
        lines.append(head + "{")
        single = question.type == QuestionType.SINGLE
        for choice in item.choices:
            if choice.fraction == ONE and single:
                mark = "="
            elif choice.fraction == 0:
                mark = "~"
            else:
                mark = f"~%{fraction_percent(choice.fraction)}%"
            feedback = f"#{_html_answer(choice.feedback)}" if choice.feedback else ""
            lines.append(f"\t{mark}{_html_answer(choice.text)}{feedback}")
        if general:
            lines.append(f"\t{general}")
        lines.append("}")
    return "\n".join(lines) + "\n"


def write_gift(bank: QuestionBank) -> tuple[str, BankExport]:
    """The bank as GIFT text, and what was written or left out (case questions)."""
    export = bank_for_export(bank)
    parts = [f"// question bank: {bank.name}\n"]
    for _category, path, questions in export.categories:
        category = join_category_path(path)
        parts.append(
            f"// question: 0  name: switch category to {category}\n$CATEGORY: {category}\n"
        )
        parts += [_question(item) for item in questions]
    return "\n".join(parts), export
