"""Planning an import: every rule (Moodle's grade list, choice counts, ID numbers, images,
categories) applied to parsed questions without writing anything.

Why apart: the admin preview shows exactly this plan, and :mod:`.writing` repeats it inside
its transaction before writing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import unquote

from bs4 import BeautifulSoup, Tag
from django.utils.translation import gettext as _

from ..models import Question, QuestionBank
from ..validation import validate_choices
from .categories import categories_by_path
from .formats import html_to_text
from .parsed import (
    DEFAULT_CATEGORY,
    PLUGINFILE,
    ParsedCategory,
    ParsedQuestion,
    Problem,
    match_grade,
)
from .reading import parse


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


def _attribute(tag: Tag, name: str) -> str:
    """A tag's attribute as text, ``""`` when absent. bs4 types every value as possibly a list:
    html.parser splits only class-like attributes (``class``, ``rel``…) on whitespace."""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


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
        src = _attribute(img, "src").strip()
        alt = _attribute(img, "alt")
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
                if match is None:
                    raise ValueError("not a base64 image data URI")
                data = base64.b64decode("".join(match.group(1).split()), validate=True)
            except (binascii.Error, ValueError):
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
        image_format = _attribute(img, "data-format")
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
        href = _attribute(link, "href")
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
