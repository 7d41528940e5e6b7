"""Writing an import: the plan repeated inside one transaction, then categories, images,
questions, choices and tags written with bulk inserts.

Why apart: the only part of importing that writes to the database.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import PurePosixPath

from django.db import transaction

from ..models import Choice, Question, QuestionBank, QuestionCategory
from .categories import categories_by_path
from .parsed import ParsedQuestion
from .planning import ImportRejected, ImportReport, plan_import


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
