"""Importing questions into a bank from GIFT or Moodle XML, and the shared pieces of export.

Why one service: the management command and the admin screen must behave identically, and a
preview must show exactly what an import would do. So the parsers (``exams/gift.py``,
``exams/moodlexml.py``) only turn a file into :class:`ParsedQuestion` values and report what
they cannot read; :func:`plan_import` applies every rule (Moodle's grade list, choice counts,
ID numbers, images, categories) without writing anything; :func:`run_import` repeats the plan
inside one transaction and writes the valid questions with bulk inserts.

Mapping decisions (documented here because other modules rely on them):

* Types: Moodle multichoice with one answer (``single`` true; GIFT with an ``=`` answer) →
  ``single``; with several (``single`` false; GIFT with only ``~`` answers, e.g. ``~%50%``) →
  ``multiple``; truefalse → ``truefalse`` with exactly two choices, ``TRUE_TEXT`` ("正确")
  first and ``FALSE_TEXT`` ("错误") second; Moodle's feedbacktrue/feedbackfalse become those
  choices' feedback. Every other type (essay, matching, numerical, shortanswer, cloze,
  description, …) is reported as unsupported, by name and place, and skipped.
* Question text → ``Question.stem`` (Wagtail rich text, sanitised to the field's features);
  ``html`` is kept as HTML, ``moodle`` auto-format keeps inline HTML and turns line breaks
  into ``<br/>`` and blank lines into paragraphs (as Moodle shows it), ``plain`` is escaped
  first, ``markdown`` goes through Wagtail's own Markdown converter. General feedback →
  ``Question.explanation`` the same way. The result is what Wagtail's editor would keep
  (its whitelister for the field's features: no scripts, styles or unknown tags; Draftail's
  ``data-block-key`` attributes are not kept either). Choice texts and feedback are plain
  text (``Choice.text`` and ``Choice.feedback`` are text fields): HTML there is reduced to
  text, and written back as escaped HTML with ``<br>`` for line breaks.
* Images: ``<img src="@@PLUGINFILE@@/name">`` with the file embedded (Moodle XML ``<file>``,
  the legacy ``<image_base64>``) or ``<img src="data:image/...;base64,...">`` (GIFT has no
  files) become Wagtail images in the root collection (an existing image with the same
  content is reused), referenced as ``<embed embedtype="image" ...>``. Images elsewhere
  (choices, explanations) and non-image files are dropped with a warning.
* Categories: ``$course$/``, ``$module$/``, ``$system$/``, ``$cat$/`` and a leading ``top``
  are dropped; ``A/B`` becomes nested categories in the bank, created as needed; questions
  without a category go to ``Default``. Category info and ID number are kept on creation.
* Grades must be in Moodle's list (``MOODLE_GRADES``, within 0.00001, as Moodle matches them);
  then the rules the admin form applies (``exams.validation``): single choice and true/false
  need exactly one choice at 100% and no other positive grade (Moodle's partial credit on a
  single-answer question is refused, as the form would refuse it); multiple choice needs
  positive grades adding up to 100% (±0.01 percentage points) and a wrong choice; at least
  two choices. ID numbers must be unique within the bank.

Outcome: without ``skip_invalid`` a file with any invalid question imports nothing; with it the
valid questions are imported and the invalid ones reported. Unsupported questions are always
skipped and reported. A file with no question that can be imported is refused (nothing is
written, not even its categories), as Moodle refuses a file without questions.

Round trip: ``import(export(bank))`` gives the same categories and questions (type, name,
stem, explanation, choices with grades and feedback, ID number, tags; with Moodle XML also
mark, hidden state and category descriptions). True/false choices always come back as
``TRUE_TEXT``/``FALSE_TEXT``, since Moodle's format has no texts for them.
"""

from __future__ import annotations

import base64
import binascii
import html as html_lib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import unquote

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Choice, Question, QuestionBank, QuestionCategory, QuestionType
from .validation import validate_choices

GIFT = "gift"
MOODLE_XML = "moodlexml"
FORMATS = (GIFT, MOODLE_XML)
EXTENSIONS = {".gift": GIFT, ".txt": GIFT, ".xml": MOODLE_XML}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# How true/false choices are stored: always these two texts, true first.
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"
TRUE_TEXTS = {TRUE_TEXT, "对", "是", "true", "True", "TRUE", "T"}

DEFAULT_CATEGORY = "Default"
PLUGINFILE = "@@PLUGINFILE@@/"

# Text formats, named as GIFT names them; Moodle XML's names map onto these.
HTML, MOODLE, PLAIN, MARKDOWN = "html", "moodle", "plain", "markdown"

# question_bank::fraction_options_full() in Moodle (question/engine/bank.php).
_POSITIVE_GRADES = (
    "1 0.9 0.8333333 0.8 0.75 0.7 0.6666667 0.6 0.5 0.4 0.3333333 0.3 0.25 0.2 0.1666667 "
    "0.1428571 0.125 0.1111111 0.1 0.05"
).split()
MOODLE_GRADES = sorted(
    {Decimal("0")}
    | {Decimal(g) for g in _POSITIVE_GRADES}
    | {-Decimal(g) for g in _POSITIVE_GRADES}
)
_GRADE_TOLERANCE = Decimal("0.00001")
ONE = Decimal("1")


def match_grade(fraction: Decimal) -> Decimal | None:
    """The grade from Moodle's list that ``fraction`` denotes, or None (Moodle's 'error' mode)."""
    for grade in MOODLE_GRADES:
        if abs(fraction - grade) < _GRADE_TOLERANCE:
            return grade
    return None


def format_for_name(filename: str) -> str | None:
    """The format a file name implies: .gift/.txt → GIFT, .xml → Moodle XML."""
    return EXTENSIONS.get(PurePosixPath(filename.lower()).suffix)


# --- what parsers produce ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something a file could not give us, with where it is (``line 12``, ``question 3``)."""

    where: str
    message: str = ""
    name: str = ""
    qtype: str = ""  # set for unsupported questions: the type as the file names it

    def __str__(self) -> str:
        if self.qtype:
            text = f'skipped "{self.name}" ({self.qtype}, {self.where})'
            return f"{text}: {self.message}" if self.message else text
        if self.name:
            return f'{self.where} "{self.name}": {self.message}'
        return f"{self.where}: {self.message}"


@dataclass
class ParsedChoice:
    text: str
    fraction: Decimal
    feedback: str = ""
    where: str = ""  # its own place in the file, where the format knows it


@dataclass
class ParsedQuestion:
    """A question as read from a file, before the bank's rules are applied."""

    name: str
    type: str
    stem: str  # HTML, not yet sanitised
    where: str
    choices: list[ParsedChoice] = field(default_factory=list)
    explanation: str = ""  # HTML, not yet sanitised
    category: tuple[str, ...] = ()
    idnumber: str = ""
    default_mark: Decimal | None = None
    active: bool = True
    tags: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # @@PLUGINFILE@@ name → content
    problems: list[str] = field(default_factory=list)  # errors found while parsing
    notes: list[str] = field(default_factory=list)  # warnings found while parsing


@dataclass
class ParsedCategory:
    path: tuple[str, ...]
    info: str = ""
    idnumber: str = ""


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    categories: list[ParsedCategory] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # question-level: that question fails
    fatal: list[Problem] = field(default_factory=list)  # file-level: nothing can be read
    warnings: list[Problem] = field(default_factory=list)


def parse(data: bytes, fmt: str) -> ParseResult:
    if fmt == GIFT:
        from .gift import parse_gift

        return parse_gift(data)
    if fmt == MOODLE_XML:
        from .moodlexml import parse_moodle_xml

        return parse_moodle_xml(data)
    raise ValueError(f"unknown format {fmt!r}")


# --- text formats ----------------------------------------------------------------------------


def plain_name(text: str) -> str:
    """A name as Moodle stores it (PARAM_TEXT): tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]*>", "", text).split())


def default_name(stem_html: str) -> str:
    """Moodle's name for an unnamed question: the start of its text."""
    text = " ".join(html_to_text(stem_html).split())
    return text[:80] or _("Untitled question")


def _paragraphs(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br/>".join(line.strip() for line in p.splitlines()) + "</p>" for p in paragraphs
    )


_MD_IMAGE = re.compile(r'!\[([^\]]*)\]\(\s*(\S+?)(?:\s+"[^"]*")?\s*\)')


def _markdown_to_html(text: str, features: list[str]) -> str:
    """Markdown through Wagtail's own converter (draftjs_exporter's Markdown parser, already a
    Wagtail dependency). Image sources are kept aside first: the converter only understands
    Wagtail's own image references, and ours are embedded files."""
    from draftjs_exporter import MarkdownParseError
    from wagtail.admin.rich_text.converters.markdown_db import MarkdownConverter

    images: list[tuple[str, str]] = []

    def keep_image(match: re.Match) -> str:
        images.append((match.group(1), match.group(2)))
        return f"\ue020{len(images) - 1}\ue021"

    text = _MD_IMAGE.sub(keep_image, text)
    try:
        converted = MarkdownConverter(features).to_database_format(text)
    except MarkdownParseError:
        converted = _paragraphs(html_lib.escape(text))
    for index, (alt, src) in enumerate(images):
        tag = f'<img src="{html_lib.escape(src)}" alt="{html_lib.escape(alt)}"/>'
        converted = converted.replace(f"\ue020{index}\ue021", tag)
    return converted


def to_html(text: str, fmt: str) -> str:
    """Text in a Moodle format as (unsanitised) HTML."""
    text = text.strip()
    if fmt == HTML:
        return text
    if fmt == MARKDOWN:
        return _markdown_to_html(text, ["bold", "italic", "ol", "ul", "link", "image"])
    if fmt == PLAIN:
        return _paragraphs(html_lib.escape(text, quote=False))
    return _paragraphs(text)


_BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "hr"} | {
    f"h{n}" for n in range(1, 7)
}


def html_to_text(html: str) -> str:
    """HTML as the plain text a reader sees: tags dropped, ``<br>`` and blocks as line breaks.

    The inverse of :func:`text_to_html` for any text without leading/trailing spaces on a
    line, so choice texts and feedback survive an export and re-import unchanged."""
    if "<" not in html and "&" not in html:
        return html.strip()
    pieces: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pieces.append(re.sub(r"\s*[\t\r\n]\s*", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "br":
                    pieces.append("\n")
                elif child.name in _BLOCKS:
                    pieces.append("\x00")
                    walk(child)
                    pieces.append("\x00")
                elif child.name not in {"script", "style"}:
                    walk(child)

    walk(BeautifulSoup(html, "html.parser"))
    text = re.sub(r" *\x00[\x00 ]*", "\x00", "".join(pieces)).strip("\x00 \n")
    text = re.sub(r"\n?\x00\n?", "\n", text)
    return text.strip()


def text_to_html(text: str) -> str:
    return html_lib.escape(text, quote=False).replace("\n", "<br>")


def to_text(text: str, fmt: str) -> str:
    """Text in a Moodle format as plain text (for choices, feedback and category info)."""
    return html_to_text(text) if fmt == HTML else text.strip()


# --- category paths --------------------------------------------------------------------------

_CONTEXTS = re.compile(r"^\$(course|module|system|cat|coursecategory)\$$")


def split_category_path(path: str) -> tuple[str, ...]:
    """``$course$/top/A/B//C`` → ("A", "B/C"): Moodle escapes a slash in a name as ``//``."""
    parts = [p.replace("\x01", "/").strip() for p in path.replace("//", "\x01").split("/")]
    parts = [p for p in parts if p]
    if parts and _CONTEXTS.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return tuple(parts)


def join_category_path(path: tuple[str, ...]) -> str:
    return "$course$/" + "/".join(name.replace("/", "//") for name in path)


def categories_by_path(bank: QuestionBank) -> dict[tuple[str, ...], QuestionCategory]:
    """Every category of the bank keyed by its path of names. One query."""
    rows = {c.pk: c for c in QuestionCategory.objects.filter(bank=bank)}
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(pk: int) -> tuple[str, ...]:
        if pk not in paths:
            node = rows[pk]
            parent = path_of(node.parent_id) if node.parent_id else ()
            paths[pk] = (*parent, node.name)
        return paths[pk]

    return {path_of(pk): category for pk, category in rows.items()}


# --- planning --------------------------------------------------------------------------------


@dataclass
class ImageRef:
    """An image to create (or reuse) when the import is written."""

    token: str
    name: str
    data: bytes
    sha1: str


@dataclass
class ImportReport:
    """What an import did, or — for a preview — would do."""

    format: str
    bank_name: str
    skip_invalid: bool
    bank_exists: bool = False
    questions: list[ParsedQuestion] = field(default_factory=list)  # the valid ones
    categories: dict[tuple[str, ...], ParsedCategory] = field(default_factory=dict)
    new_categories: list[str] = field(default_factory=list)
    unsupported: list[Problem] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # file-level: nothing can be imported
    warnings: list[Problem] = field(default_factory=list)
    images: dict[str, ImageRef] = field(default_factory=dict)  # by content hash
    imported: int = 0
    committed: bool = False

    @property
    def can_import(self) -> bool:
        return not self.errors and bool(self.questions) and (self.skip_invalid or not self.invalid)

    @property
    def invalid_questions(self) -> int:
        """Questions with errors (``invalid`` has one entry per error)."""
        return len({(p.where, p.name) for p in self.invalid})

    @property
    def skipped(self) -> int:
        return len(self.unsupported) + (self.invalid_questions if self.skip_invalid else 0)

    def unsupported_counts(self) -> list[tuple[str, int]]:
        return sorted(Counter(p.qtype for p in self.unsupported).items())

    def summary(self) -> str:
        verb = "imported" if self.committed else "would import"
        count = self.imported if self.committed else len(self.questions)
        text = f"{verb} {count}, skipped {self.skipped}"
        details = []
        if self.unsupported:
            kinds = ", ".join(f"{n} {kind}" for kind, n in self.unsupported_counts())
            details.append(f"unsupported: {kinds}")
        if self.invalid and self.skip_invalid:
            details.append(f"invalid: {self.invalid_questions}")
        return f"{text} ({'; '.join(details)})" if details else text


class ImportRejected(Exception):
    """The file has errors (and ``skip_invalid`` was not given), or nothing to import."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


def _rich_text_features(field_name: str) -> list[str]:
    return list(Question._meta.get_field(field_name).features)


@cache
def _sanitiser(field_name: str):
    """Wagtail's own whitelister for the field's features (what its editor would keep)."""
    from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

    return EditorHTMLConverter(_rich_text_features(field_name))


_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
_DATA_URI = re.compile(r"^data:image/[\w.+-]+;base64,(.*)$", re.S | re.I)


def _check_image(data: bytes, name: str) -> tuple[str | None, str]:
    """(error, file name with the extension its content has)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError
    from wagtail.images.utils import get_allowed_image_extensions

    try:
        with PILImage.open(BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (
        OSError,
        SyntaxError,
        ValueError,
        UnidentifiedImageError,
        PILImage.DecompressionBombError,
    ):
        return _("the file %(name)s is not a readable image") % {"name": name}, name
    extension = _IMAGE_FORMATS.get(kind or "")
    if extension is None or extension not in get_allowed_image_extensions():
        return _("the image %(name)s is in a format the image library does not accept") % {
            "name": name
        }, name
    stem = PurePosixPath(name).stem or "image"
    return None, f"{stem}.{extension}"


def _rich_text(
    html: str,
    files: dict[str, bytes],
    field_name: str,
    images: dict[str, ImageRef],
    notes: list[str],
    errors: list[str],
) -> str:
    """Sanitised DB-HTML for ``field_name``, with embedded images replaced by tokens that
    :func:`_write` turns into image ids (``images`` collects them, by content hash)."""
    from wagtail.images.formats import get_image_formats
    from wagtail.utils.file import hash_filelike

    features = _rich_text_features(field_name)
    if "<" not in html and "&" not in html:
        return _sanitiser(field_name).to_database_format(html)
    soup = BeautifulSoup(html, "html.parser")
    formats = {f.name for f in get_image_formats()}
    for img in soup.find_all("img"):
        src = (img.get("src") or "").strip()
        alt = img.get("alt") or ""
        data: bytes | None = None
        if src.startswith(PLUGINFILE):
            name = unquote(src[len(PLUGINFILE) :]).lstrip("/")
            data = files.get(name)
            if data is None:
                notes.append(
                    _("the image %(name)s is not included in the file and was removed")
                    % {"name": name}
                )
        elif src.lower().startswith("data:"):
            name = "image"
            match = _DATA_URI.match(src)
            try:
                data = base64.b64decode("".join(match.group(1).split()), validate=True)
            except (AttributeError, binascii.Error, ValueError):
                errors.append(_("an embedded image is not valid base64 data"))
        else:
            notes.append(
                _("the external image %(src)s was removed (only embedded images are imported)")
                % {"src": src[:100]}
            )
        if data is None:
            img.decompose()
            continue
        if "image" not in features:
            notes.append(
                _("the image %(name)s was removed: this text cannot hold images") % {"name": name}
            )
            img.decompose()
            continue
        error, name = _check_image(data, name)
        if error:
            errors.append(error)
            img.decompose()
            continue
        digest = hash_filelike(BytesIO(data))
        ref = images.setdefault(
            digest, ImageRef(f"exams-import-image-{digest}", name, data, digest)
        )
        image_format = img.get("data-format")
        img.replace_with(
            soup.new_tag(
                "img",
                attrs={
                    "data-embedtype": "image",
                    "data-id": ref.token,
                    "data-format": image_format if image_format in formats else "fullwidth",
                    "data-alt": alt,
                },
            )
        )
    for link in soup.find_all("a"):
        href = link.get("href") or ""
        if href.startswith(PLUGINFILE):
            notes.append(
                _("the file %(name)s is not an image and was not imported; its link was removed")
                % {"name": unquote(href[len(PLUGINFILE) :])}
            )
            link.unwrap()
    return _sanitiser(field_name).to_database_format(str(soup))


def _has_content(db_html: str) -> bool:
    return "<embed" in db_html or bool(html_to_text(db_html))


def _check_question(question: ParsedQuestion) -> list[str]:
    """Moodle's grade list, then the rules the admin form applies too (exams.validation).

    Normalises each fraction to the grade of Moodle's list it denotes, as Moodle does."""
    errors = list(question.problems)
    if len(question.idnumber) > 100:
        errors.append(_("the ID number is longer than 100 characters"))
    if any(len(tag) > 100 for tag in question.tags):
        errors.append(_("a tag is longer than 100 characters"))
    if any(len(name) > 255 for name in question.category):
        errors.append(_("a category name is longer than 255 characters"))
    mark = question.default_mark
    if mark is not None and not (Decimal("0") < mark <= Decimal("9999.99")):
        errors.append(_("the default mark %(mark)s is not between 0 and 9999.99") % {"mark": mark})
    grades_ok = True
    for number, choice in enumerate(question.choices, start=1):
        grade = match_grade(choice.fraction)
        if grade is not None:
            choice.fraction = grade
            continue
        grades_ok = False
        errors.append(
            _(
                "invalid grade %(percent)s%% (%(fraction)s) for choice %(number)s: Moodle "
                "accepts only the grades in its list, such as 100%%, 50%%, 33.33333%%, "
                "25%%, 0%% or -100%%"
            )
            % {
                "percent": f"{(choice.fraction * 100).normalize():f}",
                "fraction": f"{choice.fraction.normalize():f}",
                "number": f"{number} ({choice.where})" if choice.where else str(number),
            }
        )
    if grades_ok:
        errors += validate_choices(question.type, [(c.fraction, c.text) for c in question.choices])
    return errors


def _place(problem: Problem) -> int:
    """Sort key: the line (GIFT) or question number (XML) a place starts with."""
    match = re.search(r"\d+", problem.where)
    return int(match.group()) if match else 0


def plan_import(
    data: bytes, fmt: str, bank_name: str, *, skip_invalid: bool = False
) -> ImportReport:
    """Everything an import would do, without writing: the preview, and step one of an import.

    Reads the bank, its categories and its ID numbers (three queries)."""
    report = ImportReport(format=fmt, bank_name=bank_name.strip(), skip_invalid=skip_invalid)
    parsed = parse(data, fmt)
    report.unsupported = parsed.unsupported
    report.invalid = list(parsed.errors)
    report.errors = list(parsed.fatal)
    report.warnings = list(parsed.warnings)
    if not report.bank_name or len(report.bank_name) > 100:
        report.errors.append(Problem(_("bank"), _("a bank name of 1 to 100 characters is needed")))
    bank = QuestionBank.objects.filter(name=report.bank_name).first()
    report.bank_exists = bank is not None
    existing_paths = set(categories_by_path(bank)) if bank else set()
    taken = (
        dict(
            Question.objects.filter(bank=bank).exclude(idnumber="").values_list("idnumber", "name")
        )
        if bank
        else {}
    )
    for category in parsed.categories:
        if any(len(name) > 255 for name in category.path):
            report.errors.append(
                Problem(
                    "/".join(category.path)[:100],
                    _("a category name is longer than 255 characters"),
                )
            )
        elif len(category.idnumber) > 100:
            report.errors.append(
                Problem("/".join(category.path), _("the ID number is longer than 100 characters"))
            )
        elif category.path:
            report.categories.setdefault(category.path, category)
    seen_idnumbers: dict[str, str] = {}
    for question in parsed.questions:
        notes = list(question.notes)
        errors: list[str] = []
        question.category = question.category or (DEFAULT_CATEGORY,)
        if len(question.name) > 255:
            notes.append(_("the name was shortened to 255 characters"))
            question.name = question.name[:255]
        images: dict[str, ImageRef] = {}
        question.stem = _rich_text(question.stem, question.files, "stem", images, notes, errors)
        question.explanation = _rich_text(
            question.explanation, question.files, "explanation", images, notes, errors
        )
        if not _has_content(question.stem):
            errors.append(_("the question text is empty"))
        errors += _check_question(question)
        if question.idnumber:
            if question.idnumber in taken:
                errors.append(
                    _('the ID number "%(idnumber)s" is already used in this bank by "%(name)s"')
                    % {"idnumber": question.idnumber, "name": taken[question.idnumber]}
                )
            elif question.idnumber in seen_idnumbers:
                errors.append(
                    _('the ID number "%(idnumber)s" is also used by %(where)s in this file')
                    % {"idnumber": question.idnumber, "where": seen_idnumbers[question.idnumber]}
                )
            seen_idnumbers.setdefault(question.idnumber, question.where)
        for note in notes:
            report.warnings.append(Problem(question.where, note, question.name))
        if errors:
            report.invalid += [Problem(question.where, e, question.name) for e in errors]
        else:
            report.questions.append(question)
            for digest, ref in images.items():
                report.images.setdefault(digest, ref)
    report.invalid.sort(key=_place)
    wanted = set(report.categories) | {q.category for q in report.questions}
    new = set()
    for path in wanted:
        for depth in range(1, len(path) + 1):
            if path[:depth] not in existing_paths:
                new.add(path[:depth])
    report.new_categories = sorted("/".join(path) for path in new)
    if not report.errors and not report.questions and (skip_invalid or not report.invalid):
        report.errors.append(
            Problem(_("file"), _("the file contains no question that can be imported"))
        )
    return report


# --- writing ---------------------------------------------------------------------------------


def run_import(
    data: bytes, fmt: str, bank_name: str, *, skip_invalid: bool = False, user: object = None
) -> ImportReport:
    """Import a file into the bank named ``bank_name`` (created if missing), all or nothing.

    Raises :class:`ImportRejected` (nothing written) when the file has errors and
    ``skip_invalid`` is false, or when it holds no question that can be imported."""
    saved_files: list = []
    try:
        with transaction.atomic():
            report = plan_import(data, fmt, bank_name, skip_invalid=skip_invalid)
            if not report.can_import:
                raise ImportRejected(report)
            _write(report, user, saved_files)
    except ImportRejected:
        raise
    except Exception:
        # The rows are rolled back; the image files written to storage are not.
        for file in saved_files:
            file.delete(save=False)
        raise
    return report


def _ensure_categories(bank: QuestionBank, report: ImportReport) -> dict[tuple, QuestionCategory]:
    """Path → category, creating what is missing (parents first). Reads the tree once."""
    by_path = categories_by_path(bank)
    wanted = set(report.categories) | {q.category for q in report.questions}
    for path in sorted({p[:d] for p in wanted for d in range(1, len(p) + 1)}, key=len):
        if path in by_path:
            continue
        declared = report.categories.get(path)
        # get_or_create: another import may be creating the same category right now.
        by_path[path], _created = QuestionCategory.objects.get_or_create(
            bank=bank,
            parent=by_path.get(path[:-1]),
            name=path[-1],
            defaults={
                "info": declared.info if declared else "",
                "idnumber": declared.idnumber if declared else "",
            },
        )
    return by_path


def _create_images(report: ImportReport, user: object, saved_files: list) -> dict[str, int]:
    """Token → image id; reuses images with the same content (one query for all)."""
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    if not report.images:
        return {}
    image_model = get_image_model()
    existing = {
        image.file_hash: image.pk
        for image in image_model.objects.filter(file_hash__in=list(report.images))
    }
    root = Collection.get_first_root_node()
    ids = {}
    for digest, ref in report.images.items():
        if digest not in existing:
            image = image_model(
                title=PurePosixPath(ref.name).stem or ref.name,
                collection=root,
                uploaded_by_user=user if getattr(user, "is_authenticated", False) else None,
                file=ImageFile(BytesIO(ref.data), name=ref.name),
                file_size=len(ref.data),
                file_hash=digest,
            )
            image.save()
            saved_files.append(image.file)
            existing[digest] = image.pk
        ids[ref.token] = existing[digest]
    return ids


def _with_image_ids(html: str, ids: dict[str, int]) -> str:
    for token, pk in ids.items():
        html = html.replace(f'id="{token}"', f'id="{pk}"')
    return html


def _write(report: ImportReport, user: object, saved_files: list) -> None:
    bank, _created = QuestionBank.objects.get_or_create(name=report.bank_name)
    categories = _ensure_categories(bank, report)
    image_ids = _create_images(report, user, saved_files)
    questions = Question.objects.bulk_create(
        [
            Question(
                bank=bank,
                category=categories[q.category],
                type=q.type,
                name=q.name,
                idnumber=q.idnumber,
                stem=_with_image_ids(q.stem, image_ids),
                explanation=q.explanation,
                default_mark=q.default_mark if q.default_mark is not None else Decimal("1"),
                active=q.active,
            )
            for q in report.questions
        ]
    )
    Choice.objects.bulk_create(
        [
            Choice(
                question=question,
                sort_order=order,
                text=choice.text,
                fraction=choice.fraction,
                feedback=choice.feedback,
            )
            for question, parsed in zip(questions, report.questions, strict=True)
            for order, choice in enumerate(parsed.choices)
        ]
    )
    _add_tags(questions, report.questions)
    if image_ids:
        _update_reference_index(q for q in questions if "<embed" in q.stem)
    report.imported = len(questions)
    report.committed = True


def _add_tags(questions: list[Question], parsed: list[ParsedQuestion]) -> None:
    """Tags in bulk: taggit's ``tags.add()`` costs several queries per question."""
    from django.contrib.contenttypes.models import ContentType

    through = Question.tags.through
    tag_model = through.tag_model()
    names = {name for item in parsed for name in item.tags}
    if not names:
        return
    tags = {tag.name: tag for tag in tag_model.objects.filter(name__in=names)}
    for name in sorted(names - tags.keys()):
        tags[name] = tag_model.objects.create(name=name)  # one per new tag: it makes the slug
    content_type = ContentType.objects.get_for_model(Question)
    through.objects.bulk_create(
        [
            through(tag=tags[name], content_type=content_type, object_id=question.pk)
            for question, item in zip(questions, parsed, strict=True)
            for name in dict.fromkeys(item.tags)
        ]
    )


def _update_reference_index(questions) -> None:
    """Bulk inserts skip the signals that record image usage; record it for those with images."""
    from wagtail.models import ReferenceIndex

    if ReferenceIndex.is_indexed(Question):
        for question in questions:
            ReferenceIndex.create_or_update_for_object(question)


# --- export ----------------------------------------------------------------------------------


@dataclass
class ExportedQuestion:
    question: Question
    stem: str  # HTML with images as <img src="@@PLUGINFILE@@/name">
    explanation: str  # HTML
    files: dict[str, bytes]
    choices: list[Choice]
    true_choice: Choice | None = None  # for true/false
    false_choice: Choice | None = None


@dataclass
class BankExport:
    """A bank laid out for writing: categories in tree order, each with its questions."""

    categories: list[tuple[QuestionCategory, tuple[str, ...], list[ExportedQuestion]]]
    skipped: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(questions) for _c, _p, questions in self.categories)


def _image_rule(files: dict[str, bytes], images: dict[int, object]):
    from wagtail.images.formats import get_image_formats

    default_format = {f.name for f in get_image_formats()}

    def rule(attrs: dict) -> str:
        image = images.get(int(attrs.get("id") or 0))
        if image is None:
            return ""
        name = PurePosixPath(image.file.name).name
        if name in files:
            name = f"{image.pk}-{name}"
        with image.open_file() as handle:
            files[name] = handle.read()
        fmt = attrs.get("format", "fullwidth")
        fmt_attr = f' data-format="{html_lib.escape(fmt)}"' if fmt in default_format else ""
        return (
            f'<img src="{PLUGINFILE}{name}" alt="{html_lib.escape(attrs.get("alt", ""))}"'
            f"{fmt_attr}/>"
        )

    return rule


def export_html(db_html: str, images: dict[int, object]) -> tuple[str, dict[str, bytes]]:
    """DB-HTML as portable HTML: images as @@PLUGINFILE@@ references to returned files, links
    to pages and documents as their URLs."""
    from wagtail.rich_text import features
    from wagtail.rich_text.rewriters import EmbedRewriter, LinkRewriter

    files: dict[str, bytes] = {}
    html = EmbedRewriter(rules={"image": _image_rule(files, images)})(db_html)
    link_rules = features.get_link_types()
    html = LinkRewriter(
        bulk_rules={kind: handler.expand_db_attributes_many for kind, handler in link_rules.items()}
    )(html)
    return html, files


def _true_false(choices: list[Choice]) -> tuple[Choice | None, Choice | None]:
    if len(choices) != 2:
        return None, None
    first, second = choices
    if second.text.strip() in TRUE_TEXTS and first.text.strip() not in TRUE_TEXTS:
        return second, first
    return first, second


def bank_for_export(bank: QuestionBank) -> BankExport:
    """Load a bank for the writers: a fixed number of queries, plus one per embedded image."""
    from wagtail.images import get_image_model

    by_path = categories_by_path(bank)
    questions = (
        Question.objects.filter(bank=bank, parent__isnull=True)
        .prefetch_related("choices", "tags")
        .order_by("sort_order", "pk")
    )
    image_ids = {
        int(pk) for q in questions for pk in re.findall(r'<embed[^>]*\bid="(\d+)"', q.stem)
    }
    images = {i.pk: i for i in get_image_model().objects.filter(pk__in=image_ids)}
    grouped: dict[int, list[ExportedQuestion]] = {c.pk: [] for c in by_path.values()}
    result = BankExport(categories=[])
    for question in questions:
        if question.type not in (
            QuestionType.SINGLE,
            QuestionType.MULTIPLE,
            QuestionType.TRUE_FALSE,
        ):
            result.skipped.append(
                f'skipped "{question.name}" ({question.type}: Moodle has no such question type)'
            )
            continue
        stem, files = export_html(question.stem, images)
        explanation, _files = export_html(question.explanation, images)
        choices = list(question.choices.all())
        item = ExportedQuestion(
            question=question, stem=stem, explanation=explanation, files=files, choices=choices
        )
        if question.type == QuestionType.TRUE_FALSE:
            item.true_choice, item.false_choice = _true_false(choices)
            if item.true_choice is None:
                result.skipped.append(
                    f'skipped "{question.name}" (truefalse with {len(choices)} choices, not 2)'
                )
                continue
        grouped[question.category_id].append(item)
    for path in sorted(by_path):
        result.categories.append((by_path[path], path, grouped[by_path[path].pk]))
    return result


def fraction_percent(fraction: Decimal) -> str:
    """1 → "100", 0.3333333 → "33.33333", -0.5 → "-50" (Moodle's notation)."""
    value = (Decimal(fraction) * 100).normalize()
    return f"{value:f}"
