"""Learner actions: enrol, complete a lesson, and the "My learning" overview.

Views only parse, authorise and call ``courses.progress``. Every state change is a POST with
CSRF protection, and acts on the signed-in user only: no view takes a user id.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.accounts.request_types import AuthenticatedHttpRequest

from . import cpd, progress
from .models import CourseIndexPage, CoursePage, Enrolment, LessonPage


def _safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` field when it points back into this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@require_POST
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    course_url = course.get_url(request)
    if not request.user.is_authenticated:
        # After signing in, come back to the course page (a GET), not to this POST-only URL.
        return redirect_to_login(course_url)
    _enrolment, created = progress.enrol(request.user, course)
    if created:
        messages.success(request, _("You are enrolled in “%(course)s”.") % {"course": course.title})
    return redirect(_safe_next(request, course_url))


@require_POST
def complete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Mark a lesson complete, then stay on it (``next=stay``) or go on (``next=next``)."""
    lesson = get_object_or_404(LessonPage.objects.live().defer("body"), pk=lesson_id)
    course = lesson.get_course()
    if course is None or not course.live:
        raise Http404
    lesson_url = lesson.get_url(request)
    if not request.user.is_authenticated:
        return redirect_to_login(lesson_url)
    try:
        result = progress.mark_complete(request.user, lesson, course)
    except progress.NotEnrolled:
        context = {"course": course, "lesson": lesson, "next_url": lesson_url}
        return _private(
            TemplateResponse(request, "courses/enrol_required.html", context, status=403)
        )

    following = None
    if request.POST.get("next") == "next":
        following = lesson.get_next_siblings().live().type(LessonPage).first()
    if result.completed:
        messages.success(
            request,
            _("You have completed every lesson of “%(course)s”.") % {"course": course.title},
        )
    elif following is None:
        messages.success(request, _("Lesson marked as complete."))
    if following is not None:
        return redirect(following.get_url(request))
    if request.POST.get("next") == "next":
        return redirect(course.get_url(request))  # the last lesson leads back to the course
    return redirect(lesson_url)


@require_safe
@login_required
def my_learning(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Courses the user is taking, with progress and a link to resume, and those finished; the
    CPD hours of each programme cycle that concerns them, and their hours ledger."""
    enrolments = list(
        Enrolment.objects.filter(user=request.user, course__live=True)
        .select_related("course")
        .order_by("-enrolled_at")
    )
    progress_by_course = progress.progress_for_courses(
        request.user, [enrolment.course for enrolment in enrolments]
    )
    in_progress: list[Enrolment] = []
    completed: list[Enrolment] = []
    for enrolment in enrolments:
        enrolment.progress = progress_by_course[enrolment.course_id]
        (completed if enrolment.progress.completed else in_progress).append(enrolment)
    # Finished courses newest first; a course completed before new lessons were added is
    # back "in progress" with the new lessons, since its progress is derived.
    completed.sort(key=lambda e: e.completed_at or e.enrolled_at, reverse=True)
    context = {
        "in_progress": in_progress,
        "completed": completed,
        "course_index": CourseIndexPage.objects.live().first(),
        **_cpd_context(request.user),
    }
    return _private(render(request, "courses/my_learning.html", context))


def _cpd_context(user) -> dict:
    """The cycles and the ledger: two queries (the programmes, the ledger)."""
    programmes = cpd.programmes_for(user)
    entries = list(cpd.ledger(user))
    progress_by_pk = cpd.cycle_progress_many(user, programmes, entries=entries)
    return {
        "cpd_cycles": [(programme, progress_by_pk[programme.pk]) for programme in programmes],
        "cpd_entries": entries,
        "cpd_total": sum((entry.hours for entry in entries), cpd.ZERO),
    }
