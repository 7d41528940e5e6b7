"""The shared pieces of export: a bank read once, with each question's rich text turned into
the HTML and image files both exporters write.

Why apart: export reads the database but never plans or writes an import.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..models import Choice, Question, QuestionBank, QuestionCategory, QuestionType
from .categories import categories_by_path
from .parsed import PLUGINFILE, TRUE_TEXTS

if TYPE_CHECKING:
    from wagtail.images.models import AbstractImage


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


def _image_rule(files: dict[str, bytes], images: dict[int, AbstractImage]):
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


def export_html(db_html: str, images: dict[int, AbstractImage]) -> tuple[str, dict[str, bytes]]:
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
