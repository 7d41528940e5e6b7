"""What a change in the law reaches: lessons, questions, programmes and certificates.

A :class:`content.RegulationChange` replaces one article version (``change.old``): superseded
by a newer version, or its text corrected. Its *impact* is what relied on that version:

* live lessons whose body cites exactly ``change.old`` (the reference index, as
  ``courses/citations.py`` reads it, but without the other editions: the point is the version);
* active questions whose ``regulation`` is ``change.old``;
* programmes whose required or refresher course holds an affected lesson, whose final or
  renewal exam has a rule that can draw an affected question (a sub-question through its case),
  or that hold valid certificates on the old basis;
* valid certificates whose legal basis holds the old version (or, for a correction, the old
  wording): :func:`exams.certificates.affected.certificates_on_old_basis`.

Computing it opens one :class:`RegulationUpdateTask` per affected lesson and question (once;
receivers.py closes them when the lesson is republished or the question saved without the old
citation). A constant number of queries per change, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone
from wagtail.models import Page, ReferenceIndex

from content.models import Regulation, RegulationChange
from courses.models import CoursePage, LessonPage
from exams.drawing import exams_able_to_draw
from exams.models import Question

from .affected import certificates_on_old_basis
from .models import CertificationProgramme, RegulationUpdateTask


class Reason:
    """Why a programme is affected (stable values: the JSON output uses them)."""

    COURSE = "course"
    EXAM = "exam"
    CERTIFICATES = "certificates"


@dataclass(frozen=True)
class AffectedProgramme:
    programme: CertificationProgramme
    reasons: tuple[str, ...]
    # Valid certificates of this programme on the old basis.
    certificates: int


@dataclass(frozen=True)
class Impact:
    """The impact of one change. ``tasks`` maps ("lesson" | "question", pk) to its update task."""

    change: RegulationChange
    lessons: list[LessonPage]
    questions: list[Question]
    programmes: list[AffectedProgramme]
    certificates: int
    tasks: dict[tuple[str, int], RegulationUpdateTask] = field(default_factory=dict)

    @property
    def is_correction(self) -> bool:
        return self.change.kind == RegulationChange.Kind.CORRECTED

    @property
    def has_impact(self) -> bool:
        """Something still relies on the old version: a lesson, a question or a certificate."""
        return bool(self.lessons or self.questions or self.certificates)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "lessons": len(self.lessons),
            "questions": len(self.questions),
            "programmes": len(self.programmes),
            "certificates": self.certificates,
        }

    def task_for(self, target: LessonPage | Question) -> RegulationUpdateTask | None:
        kind = "lesson" if isinstance(target, Page) else "question"
        return self.tasks.get((kind, target.pk))

    def as_dict(self) -> dict:
        """Plain JSON values with stable keys (``regulation_impact --format json``; README)."""
        change = self.change

        def task(target: LessonPage | Question) -> dict | None:
            found = self.task_for(target)
            if found is None:
                return None
            return {"id": found.pk, "done": found.done_at is not None}

        return {
            "id": change.pk,
            "kind": change.kind,
            "detected_at": change.detected_at.isoformat(),
            "takes_effect": change.takes_effect.isoformat(),
            "source": change.source,
            "old": _article(change.old),
            "new": _article(change.new),
            "counts": self.counts,
            "lessons": [
                {
                    "id": lesson.pk,
                    "title": lesson.title,
                    "url_path": lesson.url_path,
                    "task": task(lesson),
                }
                for lesson in self.lessons
            ],
            "questions": [
                {
                    "id": question.pk,
                    "name": question.name,
                    "bank": question.bank.name,
                    "task": task(question),
                }
                for question in self.questions
            ],
            "programmes": [
                {
                    "id": affected.programme.pk,
                    "code": affected.programme.code,
                    "name": affected.programme.name,
                    "reasons": list(affected.reasons),
                    "certificates": affected.certificates,
                }
                for affected in self.programmes
            ],
        }


def _article(regulation: Regulation) -> dict:
    return {
        "id": regulation.pk,
        "short_name": regulation.short_name,
        "article": regulation.article_label,
        "article_no": regulation.article_no,
        "version": regulation.version,
        "effective_date": regulation.effective_date.isoformat()
        if regulation.effective_date
        else None,
    }


def impact_of(change: RegulationChange, *, open_tasks: bool = True) -> Impact:
    """The impact of ``change``; with ``open_tasks``, its update tasks are opened (or reopened
    for a target that cites the old version again) and attached. At most 12 queries."""
    lessons = _lessons_citing(change.old_id)
    questions = list(
        Question.objects.filter(regulation_id=change.old_id, active=True)
        .select_related("parent", "bank")
        .order_by("bank__name", "pk")
    )
    per_programme = dict(
        certificates_on_old_basis(change)
        .order_by()
        .values("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    programmes = _programmes(lessons, questions, per_programme)
    impact = Impact(
        change=change,
        lessons=lessons,
        questions=questions,
        programmes=programmes,
        certificates=sum(per_programme.values()),
    )
    if open_tasks:
        impact.tasks.update(open_update_tasks(impact))
    return impact


def impacts(
    changes: Iterable[RegulationChange] | None = None, *, open_tasks: bool = True
) -> list[Impact]:
    """The impact of each change (default: every change, newest first)."""
    if changes is None:
        changes = RegulationChange.objects.select_related("old", "new")
    return [impact_of(change, open_tasks=open_tasks) for change in changes]


def open_update_tasks(impact: Impact) -> dict[tuple[str, int], RegulationUpdateTask]:
    """One task per affected lesson and question of the change, created once (three queries):
    a done task whose target cites the old version again is reopened."""
    lesson_type = ContentType.objects.get_for_model(LessonPage)
    question_type = ContentType.objects.get_for_model(Question)
    wanted = [(lesson_type, lesson.pk, lesson.title) for lesson in impact.lessons] + [
        (question_type, question.pk, question.name) for question in impact.questions
    ]
    if not wanted:
        return {}
    RegulationUpdateTask.objects.bulk_create(
        [
            RegulationUpdateTask(
                change=impact.change, content_type=kind, object_id=pk, label=label[:255]
            )
            for kind, pk, label in wanted
        ],
        ignore_conflicts=True,
    )
    wanted_keys = {(kind.pk, pk) for kind, pk, _label in wanted}
    tasks = [
        task
        for task in RegulationUpdateTask.objects.filter(change=impact.change)
        if (task.content_type_id, task.object_id) in wanted_keys
    ]
    reopened = [task for task in tasks if task.done_at is not None]
    if reopened:
        RegulationUpdateTask.objects.filter(pk__in=[task.pk for task in reopened]).update(
            done_at=None, done_by=None
        )
        for task in reopened:
            task.done_at, task.done_by = None, None
    names = {lesson_type.pk: "lesson", question_type.pk: "question"}
    return {(names[task.content_type_id], task.object_id): task for task in tasks}


def close_tasks(
    target: LessonPage | Question, cited: set[int], *, by=None
) -> list[RegulationUpdateTask]:
    """Mark done the open tasks on ``target`` whose change's old version is not among
    ``cited`` (the regulation ids it cites now). Two queries."""
    model = LessonPage if isinstance(target, Page) else Question
    open_tasks = RegulationUpdateTask.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=target.pk,
        done_at__isnull=True,
    ).exclude(change__old_id__in=cited)
    done = list(open_tasks)
    if done:
        now = timezone.now()
        RegulationUpdateTask.objects.filter(pk__in=[task.pk for task in done]).update(
            done_at=now, done_by=by
        )
        for task in done:
            task.done_at, task.done_by = now, by
    return done


def summary(changes: list[RegulationChange]) -> str:
    """One line on the impact of ``changes`` (the ``regulation_changes_loaded`` answer, in
    English like the rest of the command output); opens their update tasks."""
    found = impacts(changes)
    corrections = sum(1 for impact in found if impact.is_correction)
    superseded = len(found) - corrections
    programmes = {p.programme.pk for impact in found for p in impact.programmes}
    return (
        f"impact: {_plural(superseded, 'supersession')}, {_plural(corrections, 'correction')}"
        f" — {_plural(sum(len(i.lessons) for i in found), 'lesson')}"
        f", {_plural(sum(len(i.questions) for i in found), 'question')}"
        f", {_plural(len(programmes), 'programme')}"
        f", {_plural(sum(i.certificates for i in found), 'valid certificate')}"
        " (details: manage.py regulation_impact)"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- Parts -----------------------------------------------------------------------------------


def _lessons_citing(regulation_id: int) -> list[LessonPage]:
    """Live lessons whose body cites exactly this version (two queries)."""
    lesson_ids = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(LessonPage),
        to_content_type=ContentType.objects.get_for_model(Regulation),
        to_object_id=str(regulation_id),
    ).values_list("object_id", flat=True)
    return list(
        LessonPage.objects.live()
        .filter(pk__in=[int(pk) for pk in lesson_ids])
        .defer("body")
        .order_by("path")
    )


def _programmes(
    lessons: list[LessonPage], questions: list[Question], per_programme: dict[int, int]
) -> list[AffectedProgramme]:
    """Programmes reached through a course, an exam or their certificates (at most 5 queries)."""
    # A lesson's parent is its course (courses.LessonPage.parent_page_types).
    course_ids: set[int] = set()
    if lessons:
        course_ids = set(
            CoursePage.objects.filter(
                path__in={lesson.path[: -Page.steplen] for lesson in lessons}
            ).values_list("pk", flat=True)
        )
    exam_ids = exams_able_to_draw(questions)
    through = CertificationProgramme.required_courses.through
    via_required: dict[int, bool] = {}
    if course_ids:
        via_required = dict.fromkeys(
            through.objects.filter(coursepage_id__in=course_ids).values_list(
                "certificationprogramme_id", flat=True
            ),
            True,
        )
    reached = (
        Q(pk__in=list(via_required) + list(per_programme))
        | Q(refresher_course_id__in=course_ids)
        | Q(final_exam_id__in=exam_ids)
        | Q(renewal_exam_id__in=exam_ids)
    )
    if not (via_required or per_programme or course_ids or exam_ids):
        return []
    found = []
    for programme in CertificationProgramme.objects.filter(reached).order_by("name"):
        reasons = []
        if programme.pk in via_required or programme.refresher_course_id in course_ids:
            reasons.append(Reason.COURSE)
        if {programme.final_exam_id, programme.renewal_exam_id} & exam_ids:
            reasons.append(Reason.EXAM)
        if per_programme.get(programme.pk):
            reasons.append(Reason.CERTIFICATES)
        found.append(
            AffectedProgramme(programme, tuple(reasons), per_programme.get(programme.pk, 0))
        )
    return found
