"""Taking exams: start, the attempt page, autosave, submit, review and "My exams".

Views parse, authorise and call :mod:`exams.attempts`. Every view acts on the signed-in user's
own attempts only (anyone else's is a 404), every change is a CSRF-protected POST, and nothing
sent before submission carries which options are right: the attempt page is built from
:func:`paper`, which copies only stems and option texts out of the frozen versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from content.models import Regulation
from courses.citations import lessons_citing
from courses.models import LessonPage
from lms import json_input
from lms.accounts.request_types import AuthenticatedHttpRequest

from . import attempts as service
from .drawing import paper_size
from .models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamIndexPage,
    ExamPage,
    QuestionType,
    ReviewPolicy,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """The user's attempt (someone else's is a 404), graded first if its time ran out."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("exam"), pk=attempt_id, user=request.user
    )
    return service.close_if_expired(attempt)


# --- What the pages show -----------------------------------------------------------------------


@dataclass
class PaperChoice:
    id: int
    text: str
    selected: bool
    # Review only (empty or None on the attempt page):
    right: bool | None = None
    feedback: str = ""


@dataclass
class PaperQuestion:
    position: int
    type: str
    type_label: StrOrPromise
    stem: str
    max_mark: Decimal
    choices: list[PaperChoice]
    case_name: str = ""  # set on the first sub-question of a case: its text comes first
    case_stem: str = ""
    case_explanation: str = ""  # full review only
    # Review only:
    mark: Decimal | None = None
    outcome: str = ""  # "right" | "partial" | "wrong"
    explanation: str = ""
    regulation: Regulation | None = None
    lessons: list[LessonPage] = field(default_factory=list)  # to revisit, for a missed question

    @property
    def answered(self) -> bool:
        return any(choice.selected for choice in self.choices)

    @property
    def input_type(self) -> str:
        return "checkbox" if self.type == QuestionType.MULTIPLE else "radio"


def paper(attempt: Attempt, policy: str | None = None) -> list[PaperQuestion]:
    """The attempt's questions for display; one query.

    Without ``policy`` (the attempt page) only stems, option texts and the user's choices are
    copied: no fraction, feedback, explanation or correctness can reach the template. With a
    review policy, what that policy shows is added.
    """
    rows = list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .select_related("version", "case")
        .order_by("position")
    )
    items = []
    previous_case = None
    for row in rows:
        data = row.version.data
        choices_by_id = {choice["id"]: choice for choice in data["choices"]}
        selected = set(row.response or [])
        item = PaperQuestion(
            position=row.position,
            type=data["type"],
            type_label=QuestionType(data["type"]).label,
            stem=data["stem"],
            max_mark=row.max_mark,
            choices=[
                PaperChoice(id=pk, text=choices_by_id[pk]["text"], selected=pk in selected)
                for pk in row.choice_order
                if pk in choices_by_id
            ],
        )
        case = row.case  # select_related: no query
        if case is not None and row.case_id != previous_case:
            item.case_name = case.data["name"]
            item.case_stem = case.data["stem"]
        previous_case = row.case_id
        if policy in (ReviewPolicy.MARKS, ReviewPolicy.FULL):
            _add_marks(item, row)
        if policy == ReviewPolicy.FULL:
            _add_answers(item, data, choices_by_id)
            if item.case_stem and case is not None:
                item.case_explanation = case.data["explanation"]
        items.append(item)
    data_by_position = {row.position: row.version.data for row in rows}
    if policy == ReviewPolicy.FULL:
        _add_regulations(items, data_by_position)
    if policy in (ReviewPolicy.MARKS, ReviewPolicy.FULL):
        _add_lessons(items, data_by_position)
    return items


def _add_marks(item: PaperQuestion, row: AttemptQuestion) -> None:
    item.mark = row.mark if row.mark is not None else Decimal("0")
    if row.max_mark and item.mark >= row.max_mark:
        item.outcome = "right"
    elif item.mark > 0:
        item.outcome = "partial"
    else:
        item.outcome = "wrong"


def _add_answers(item: PaperQuestion, data: dict, choices_by_id: dict) -> None:
    for choice in item.choices:
        source = choices_by_id[choice.id]
        choice.right = Decimal(source["fraction"]) > 0
        choice.feedback = source["feedback"]
    item.explanation = data["explanation"]


def _add_regulations(items: list[PaperQuestion], data_by_position: dict[int, dict]) -> None:
    """The regulation each question cites, if it still exists (one query)."""
    wanted = {item.position: data_by_position[item.position].get("regulation_id") for item in items}
    found = Regulation.objects.in_bulk([pk for pk in wanted.values() if pk])
    for item in items:
        item.regulation = found.get(wanted[item.position])


def _add_lessons(items: list[PaperQuestion], data_by_position: dict[int, dict]) -> None:
    """For each question not fully right, the lessons citing the article it cites (four
    queries, see courses.citations)."""
    missed = {
        item.position: data_by_position[item.position].get("regulation_id")
        for item in items
        if item.outcome != "right"
    }
    teaching = lessons_citing(pk for pk in missed.values() if pk)
    for item in items:
        pk = missed.get(item.position)
        item.lessons = teaching.get(pk, []) if pk else []


def lessons_to_revisit(questions: list[PaperQuestion]) -> list[LessonPage]:
    """The lessons linked from the missed questions, each once, in course order."""
    unique = {lesson.pk: lesson for question in questions for lesson in question.lessons}
    return sorted(unique.values(), key=lambda lesson: lesson.path)


# --- The exam page and the exam list (served by Wagtail, see wagtail_hooks.py) -----------------


def exam_page_context(page: ExamPage, request: HttpRequest) -> dict:
    """What the exam page adds to Wagtail's context: the rules and the user's standing."""
    fewest, most = paper_size(page)
    context: dict[str, object] = {
        "question_count": str(fewest) if fewest == most else f"{fewest}–{most}",
        "exam_status": None,
    }
    if request.user.is_authenticated:
        context["exam_status"] = service.exam_status(request.user, page)
    return context


def exam_index_context(page: ExamIndexPage, request: HttpRequest) -> dict:
    """The live exams under the index, in the editors' order."""
    exams = ExamPage.objects.child_of(page).live().order_by("path")
    return {"exams": list(exams)}


# --- Attempt actions ---------------------------------------------------------------------------


@require_POST
def start(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Start an attempt, or resume the one in progress."""
    exam = get_object_or_404(ExamPage.objects.live(), pk=exam_id)
    if not request.user.is_authenticated:
        # After signing in, come back to the exam page (a GET), not to this POST-only URL.
        return redirect_to_login(exam.get_url(request))
    try:
        attempt = service.start_attempt(request.user, exam)
    except service.AttemptError as error:
        messages.error(request, str(error))
        return redirect(exam.get_url(request))
    return redirect("exams:attempt", attempt.pk)


@require_safe
@login_required
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open:
        return redirect("exams:review", attempt.pk)
    questions = paper(attempt)
    now = timezone.now()
    # Rounded up, so the page's countdown reaches zero at or just after the deadline, never before.
    seconds_left = max(math.ceil((attempt.deadline - now).total_seconds()), 0)
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "questions": questions,
        "answered_count": sum(q.answered for q in questions),
        "now": now,
        "seconds_left": seconds_left,
        "time_left": f"{seconds_left // 60}:{seconds_left % 60:02d}",
    }
    return _private(render(request, "exams/attempt.html", context))


def _posted_answers(request: HttpRequest, attempt: Attempt) -> dict[int, list[int]]:
    """Every question's answer from the plain form (a question left blank has none)."""
    count = attempt.questions.count()
    try:
        return {
            position: [int(value) for value in request.POST.getlist(f"q-{position}")]
            for position in range(1, count + 1)
        }
    except ValueError as error:
        raise service.InvalidAnswer(_("That answer is not one of this question's options.")) from (
            error
        )


@require_POST
@login_required
def save(request: AuthenticatedHttpRequest, attempt_id: int) -> HttpResponse:
    """Autosave (JSON: ``{"position": 3, "choices": [12]}``) or the plain form's "Save"."""
    if request.content_type == "application/json":
        # The service's one statement checks ownership and the deadline: no look-up here.
        return _private(_save_json(request, Attempt(pk=attempt_id)))
    attempt = _own_attempt(request, attempt_id)
    try:
        service.save_answers(attempt, _posted_answers(request, attempt))
    except service.AttemptClosed as error:
        messages.error(request, str(error))
        return redirect("exams:review", attempt.pk)
    except service.InvalidAnswer as error:
        messages.error(request, str(error))
        return redirect("exams:attempt", attempt.pk)
    messages.success(request, _("Your answers are saved."))
    return redirect("exams:attempt", attempt.pk)


def _save_json(request: AuthenticatedHttpRequest, attempt: Attempt) -> JsonResponse:
    try:
        payload = json_input.load(request.body)
        position = int(payload["position"])
        choices = [int(pk) for pk in payload.get("choices", [])]
    except (ValueError, KeyError, TypeError, OverflowError):
        return JsonResponse({"error": _("The answer could not be read.")}, status=400)
    try:
        saved = service.save_answer(attempt, position, choices, user=request.user)
    except Attempt.DoesNotExist:
        raise Http404 from None
    except service.AttemptClosed as error:
        review = reverse("exams:review", args=[attempt.pk])
        return JsonResponse({"error": str(error), "redirect": review}, status=409)
    except service.InvalidAnswer as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(
        {
            "saved": True,
            "position": saved.position,
            "answered": saved.answered,
            "saved_at": timezone.now().isoformat(),
        }
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """GET or a plain POST: the confirmation page. POST with ``confirm``: grade and review.

    The attempt form posts its answers here too, so the answers on screen are saved first
    (they still count within the grace after the deadline; the server decides).
    """
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open:
        return redirect("exams:review", attempt.pk)
    if request.method == "POST":
        if request.POST.get("answers_included"):
            try:
                service.save_answers(attempt, _posted_answers(request, attempt))
            except service.AttemptClosed:
                return redirect("exams:review", attempt.pk)
            except service.InvalidAnswer as error:
                messages.error(request, str(error))
                return redirect("exams:attempt", attempt.pk)
        if request.POST.get("confirm"):
            service.submit_attempt(attempt)
            return redirect("exams:review", attempt.pk)
    questions = paper(attempt)
    unanswered = [q.position for q in questions if not q.answered]
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "question_total": len(questions),
        "answered_count": len(questions) - len(unanswered),
        "unanswered": unanswered,
    }
    return _private(render(request, "exams/submit.html", context))


@require_safe
@login_required
def review(request: AuthenticatedHttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_open:
        return redirect("exams:attempt", attempt.pk)
    policy = attempt.exam.review_policy
    questions = paper(attempt, policy) if policy != ReviewPolicy.SCORE else []
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "policy": policy,
        "questions": questions,
        "show_answers": policy == ReviewPolicy.FULL,
        "timed_out": attempt.status == AttemptStatus.TIMED_OUT,
        # After a fail: attempts left, when the next may start, what to study first.
        "exam_status": None if attempt.passed else service.exam_status(request.user, attempt.exam),
        "lessons_to_revisit": [] if attempt.passed else lessons_to_revisit(questions),
    }
    return _private(render(request, "exams/review.html", context))


@require_safe
@login_required
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All the user's attempts, newest first, with their results."""
    service.close_expired_attempts(user=request.user)
    attempts = Attempt.objects.filter(user=request.user).select_related("exam")
    context = {
        "attempts": list(attempts.order_by("-started_at")),
        "exam_index": ExamIndexPage.objects.live().first(),
    }
    return _private(render(request, "exams/history.html", context))


def with_exam_context(
    page: ExamPage | ExamIndexPage, request: HttpRequest, response: HttpResponse
) -> HttpResponse:
    """Wagtail's response for an exam or the exam list, with this module's context added.

    The page shows the user's own attempts, so it is never cached.
    """
    # Only the page itself: not a view restriction's password form, a redirect or an error.
    rendered = getattr(response, "template_name", None) == page.get_template(request)
    if (
        rendered
        and isinstance(response, SimpleTemplateResponse)
        and response.context_data is not None
    ):
        if isinstance(page, ExamPage):
            response.context_data.update(exam_page_context(page, request))
        else:
            response.context_data.update(exam_index_context(page, request))
    return _private(response)
