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

Tasks. One :class:`RegulationUpdateTask` per affected lesson and question, opened when the
change is loaded (the ``regulation_changes_loaded`` answer, :func:`summary`) or by
``regulation_impact``; never by a page view. receivers.py closes them through
:func:`close_lesson_tasks` (a lesson published) and :func:`close_question_tasks` (a question
saved in the admin):

* a *supersession*'s task is done when the target no longer cites the old version, or (a
  lesson) cites the new version beside it — a comparison, the usual way to teach a
  renumbering; a lesson already comparing both when the change is loaded gets its task done;
* a *correction*'s target keeps citing the same row, so its task is done when the lesson is
  published again from a revision written after the correction was loaded, or the question
  saved again after it: the trainer has checked it against the corrected wording.

A done task is reopened only for a supersession whose target cites the old version alone again.
A constant number of queries per change, whatever its size.
"""

from __future__ import annotations

import datetime as dt
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
class CertificateRow:
    """An affected valid certificate, without personal data (``regulation_impact`` lists them)."""

    serial: str
    programme: str  # the programme's code
    issued_on: dt.date
    expires_on: dt.date


@dataclass(frozen=True)
class Impact:
    """The impact of one change. ``tasks`` maps ("lesson" | "question", pk) to its update task
    (left empty by ``impact_of(..., tasks=False)``); ``comparisons`` holds the lessons that cite
    the new version beside the old one."""

    change: RegulationChange
    lessons: list[LessonPage]
    questions: list[Question]
    programmes: list[AffectedProgramme]
    certificates: int
    tasks: dict[tuple[str, int], RegulationUpdateTask] = field(default_factory=dict)
    comparisons: frozenset[int] = frozenset()

    @property
    def is_correction(self) -> bool:
        return self.change.kind == RegulationChange.Kind.CORRECTED

    @property
    def has_impact(self) -> bool:
        """Something still relies on the old version: a valid certificate, or a lesson or
        question not yet updated (with tasks read, a done task counts as updated; a lesson
        comparing both versions does not rely on the old one alone)."""
        return bool(self.certificates or self.outstanding)

    @property
    def targets(self) -> list[LessonPage | Question]:
        """The affected lessons, then the affected questions."""
        return [*self.lessons, *self.questions]

    @property
    def outstanding(self) -> list[LessonPage | Question]:
        """The lessons and questions still to update (as far as this impact knows)."""
        found: list[LessonPage | Question] = []
        for target in self.targets:
            task = self.task_for(target)
            if task is not None and task.done_at is not None:
                continue
            if task is None and isinstance(target, Page) and target.pk in self.comparisons:
                continue
            found.append(target)
        return found

    @property
    def missing_tasks(self) -> int:
        """Affected lessons and questions that have no update task (a change recorded before
        tasks were opened, e.g. by the demo): the admin page offers to open them."""
        return sum(1 for target in self.targets if self.task_for(target) is None)

    def certificate_rows(self, limit: int | None = None) -> list[CertificateRow]:
        """The valid certificates on the old basis (the first ``limit``), by programme code and
        serial (one query)."""
        rows = (
            certificates_on_old_basis(self.change)
            .order_by("programme__code", "serial")
            .values_list("serial", "programme__code", "issued_at", "expires_at")
        )
        if limit is not None:
            rows = rows[:limit]
        return [
            CertificateRow(serial, code, timezone.localdate(issued), timezone.localdate(expires))
            for serial, code, issued, expires in rows
        ]

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
        """Plain JSON values with stable keys (``regulation_impact --format json``; README);
        lists every affected certificate (one more query)."""
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
                    "compares": lesson.pk in self.comparisons,
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
            "certificates": [
                {
                    "serial": row.serial,
                    "programme": row.programme,
                    "issued_on": row.issued_on.isoformat(),
                    "expires_on": row.expires_on.isoformat(),
                }
                for row in self.certificate_rows()
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


def impact_of(change: RegulationChange, *, open_tasks: bool = False, tasks: bool = True) -> Impact:
    """The impact of ``change``. Its existing update tasks are read and attached (``tasks``);
    with ``open_tasks`` the missing ones are opened first (and done ones reopened where the
    target cites the old version alone again). Reads only unless ``open_tasks``. At most 12
    queries."""
    citing = lesson_citations({change.old_id, change.new_id})
    lessons = list(
        LessonPage.objects.live()
        .filter(pk__in=[pk for pk, cited in citing.items() if change.old_id in cited])
        .defer("body")
        .order_by("path")
    )
    comparisons = frozenset(
        lesson.pk
        for lesson in lessons
        if change.new_id != change.old_id and change.new_id in citing[lesson.pk]
    )
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
        comparisons=comparisons,
    )
    if open_tasks:
        impact.tasks.update(open_update_tasks(impact))
    elif tasks:
        impact.tasks.update(_read_tasks(impact))
    return impact


def impacts(
    changes: Iterable[RegulationChange] | None = None, *, open_tasks: bool = False
) -> list[Impact]:
    """The impact of each change (default: every change, newest first)."""
    if changes is None:
        changes = RegulationChange.objects.select_related("old", "new")
    return [impact_of(change, open_tasks=open_tasks) for change in changes]


def _targets(impact: Impact) -> list[tuple[ContentType, int, str]]:
    lesson_type = ContentType.objects.get_for_model(LessonPage)
    question_type = ContentType.objects.get_for_model(Question)
    return [(lesson_type, lesson.pk, lesson.title) for lesson in impact.lessons] + [
        (question_type, question.pk, question.name) for question in impact.questions
    ]


def _keyed(tasks: Iterable[RegulationUpdateTask]) -> dict[tuple[str, int], RegulationUpdateTask]:
    names = {
        ContentType.objects.get_for_model(LessonPage).pk: "lesson",
        ContentType.objects.get_for_model(Question).pk: "question",
    }
    return {(names[task.content_type_id], task.object_id): task for task in tasks}


def _read_tasks(impact: Impact) -> dict[tuple[str, int], RegulationUpdateTask]:
    """The change's existing tasks on its affected lessons and questions (one query, none if
    nothing is affected)."""
    wanted = {(kind.pk, pk) for kind, pk, _label in _targets(impact)}
    if not wanted:
        return {}
    return _keyed(
        task
        for task in RegulationUpdateTask.objects.filter(change=impact.change).select_related(
            "done_by"
        )
        if (task.content_type_id, task.object_id) in wanted
    )


def open_update_tasks(impact: Impact) -> dict[tuple[str, int], RegulationUpdateTask]:
    """One task per affected lesson and question of the change, created once (three queries).
    A lesson that already compares both versions gets its task done at once. A done task is
    reopened when the change is a supersession and its target cites the old version alone."""
    wanted = _targets(impact)
    if not wanted:
        return {}
    lesson_type = ContentType.objects.get_for_model(LessonPage)
    now = timezone.now()
    RegulationUpdateTask.objects.bulk_create(
        [
            RegulationUpdateTask(
                change=impact.change,
                content_type=kind,
                object_id=pk,
                label=label[:255],
                opened_at=now,
                done_at=now if kind == lesson_type and pk in impact.comparisons else None,
            )
            for kind, pk, label in wanted
        ],
        ignore_conflicts=True,
    )
    wanted_keys = {(kind.pk, pk) for kind, pk, _label in wanted}
    tasks = [
        task
        for task in RegulationUpdateTask.objects.filter(change=impact.change).select_related(
            "done_by"
        )
        if (task.content_type_id, task.object_id) in wanted_keys
    ]
    comparing = {(lesson_type.pk, pk) for pk in impact.comparisons}
    reopened = []
    if not impact.is_correction:
        reopened = [
            task
            for task in tasks
            if task.done_at is not None and (task.content_type_id, task.object_id) not in comparing
        ]
    if reopened:
        RegulationUpdateTask.objects.filter(pk__in=[task.pk for task in reopened]).update(
            done_at=None, done_by=None
        )
        for task in reopened:
            task.done_at, task.done_by = None, None
    return _keyed(tasks)


def close_tasks(
    target: LessonPage | Question,
    cited: set[int],
    *,
    by=None,
    edited_at: dt.datetime | None = None,
) -> list[RegulationUpdateTask]:
    """Mark done the open tasks on ``target``, which now cites ``cited`` (regulation ids) as
    edited at ``edited_at`` (default: now): a supersession's when the old version is not cited
    or the new one is cited too; a correction's when the edit is later than the correction.
    Two queries (one when nothing is done)."""
    model = LessonPage if isinstance(target, Page) else Question
    edited_at = edited_at or timezone.now()
    candidates = RegulationUpdateTask.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=target.pk,
        done_at__isnull=True,
    ).select_related("change")
    done = [task for task in candidates if _is_done(task.change, cited, edited_at)]
    if done:
        now = timezone.now()
        RegulationUpdateTask.objects.filter(pk__in=[task.pk for task in done]).update(
            done_at=now, done_by=by
        )
        for task in done:
            task.done_at, task.done_by = now, by
    return done


def _is_done(change: RegulationChange, cited: set[int], edited_at: dt.datetime) -> bool:
    if change.kind == RegulationChange.Kind.CORRECTED:
        return edited_at > change.detected_at
    return change.old_id not in cited or change.new_id in cited


def close_lesson_tasks(lesson: LessonPage, revision=None) -> list[RegulationUpdateTask]:
    """``lesson`` was just published from ``revision``: close its tasks, as done by the
    revision's author (the trainer, when a reviewer approved it), written when the revision
    was."""
    return close_tasks(
        lesson,
        regulations_cited_by(lesson),
        by=getattr(revision, "user", None),
        edited_at=getattr(revision, "created_at", None),
    )


def close_question_tasks(question: Question, *, by=None) -> list[RegulationUpdateTask]:
    """``question`` was just saved in the admin by ``by``: close its tasks."""
    return close_tasks(question, {question.regulation_id} - {None}, by=by)


def summary(changes: list[RegulationChange]) -> str:
    """One line on the impact of ``changes`` (the ``regulation_changes_loaded`` answer, in
    English like the rest of the command output); opens their update tasks: this is where a
    loaded change gets them."""
    found = impacts(changes, open_tasks=True)
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


# --- Citations: the one place that reads which lessons cite which articles -------------------


def lesson_citations(regulation_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each lesson (live or not) whose body cites one of ``regulation_ids``: which of them
    it cites, from Wagtail's reference index (one query once content types are cached)."""
    rows = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(LessonPage),
        to_content_type=ContentType.objects.get_for_model(Regulation),
        to_object_id__in=[str(pk) for pk in set(regulation_ids)],
    ).values_list("object_id", "to_object_id")
    found: dict[int, set[int]] = {}
    for lesson_id, regulation_id in rows:
        found.setdefault(int(lesson_id), set()).add(int(regulation_id))
    return found


def regulations_cited_by(lesson: LessonPage) -> set[int]:
    """The articles ``lesson``'s body cites now, read as the reference index reads it (Wagtail
    refreshes the index only after ``page_published``, so a publish reads the body itself)."""
    field = LessonPage._meta.get_field("body")
    return {
        int(pk)
        for model, pk, *_path in field.extract_references(lesson.body)
        if model is Regulation and str(pk).isdigit()
    }


# --- Parts -----------------------------------------------------------------------------------


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
