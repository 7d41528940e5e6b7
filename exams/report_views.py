"""Trainer reports in the Wagtail admin: exam list, per-exam report, CSV downloads.

Who: anyone with ``exams.view_attempt`` (Trainers and Reviewers, from migration 0002) and
superusers; other admin users get a 403. Wagtail itself turns away people without admin access.

Cost: a report reads the exam, its attempts (one ``values()`` query), its paper rows (one
``values()`` query) and the question versions those rows use (one query), then computes in
Python (:mod:`exams.analysis`), so the number of queries does not grow with attempts or
questions.

The score histogram is an inline SVG drawn by the template from the geometry computed here:
no chart library is installed, a JavaScript one would be a new dependency for ten bars, and
server-side SVG is accessible (``role="img"`` with a title and description, plus the data as a
table) and prints as it looks. The scale, ticks and bar slots come from :mod:`lms.lib.charts`,
shared with the compliance dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import floatformat
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.lib.charts import Frame, axis_max, bar_boxes, even_step, scale
from lms.lib.spreadsheet import csv_writer, safe_text

from .analysis import (
    FINISHED_STATUSES,
    AttemptRecord,
    AttemptScope,
    Band,
    ExamSummary,
    ItemInfo,
    ItemResponse,
    ItemStats,
    analyse_items,
    describe_item,
    item_key,
    select_attempts,
    summarise,
)
from .models import Attempt, AttemptQuestion, AttemptStatus, ExamPage, QuestionType, QuestionVersion

if TYPE_CHECKING:
    from _csv import Writer  # what csv.writer() returns (typeshed's name for _csv.writer)

PERMISSION = "exams.view_attempt"
# Shown on the report page. Kept here rather than in the template: Django escapes "%" in
# template msgids ("%%"), which is easy to get wrong in the catalogue.
GLOSSARY = [
    (
        gettext_lazy("Facility index"),
        gettext_lazy(
            "The average mark on the question as a share of its full mark: how easy it is. "
            "Flagged when under 5%, as too hard, or over 95%, as too easy: such a question "
            "tells you little about who knows the material."
        ),
    ),
    (
        gettext_lazy("Discrimination index"),
        gettext_lazy(
            "The correlation between the mark on this question and the mark on the rest of "
            "the paper, from -100 to 100. Flagged when negative: weaker candidates do better on "
            "it than stronger ones, so check the key and the wording."
        ),
    ),
    (
        gettext_lazy("Discriminative efficiency"),
        gettext_lazy(
            "The discrimination achieved as a share of the most this question could achieve, "
            "given how its marks and the other marks are spread. Flagged when under 15%, "
            "as the question then barely separates stronger from weaker candidates."
        ),
    ),
    (
        "n",
        gettext_lazy(
            "Papers are drawn from question banks, so each question is analysed over the "
            "attempts whose paper had it. With fewer than two attempts, or when everyone "
            "scored the same, the indices are undefined (—)."
        ),
    ),
]


def can_view_reports(user) -> bool:
    """Superusers pass ``has_perm`` too. Reads the user's permissions: cached per request."""
    return user.is_active and user.has_perm(PERMISSION)


# --- Loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamReport:
    scope: str
    summary: ExamSummary
    items: list[ItemStats]


def load_attempts(exam: ExamPage) -> list[AttemptRecord]:
    """Every attempt at the exam: one query."""
    rows = Attempt.objects.filter(exam=exam).values(
        "id", "user_id", "number", "status", "percent", "passed"
    )
    return [AttemptRecord(**row) for row in rows.order_by()]


def load_items(exam: ExamPage) -> tuple[list[ItemResponse], dict[str, ItemInfo]]:
    """The paper rows of the finished attempts and what each item is: two queries."""
    rows = list(
        AttemptQuestion.objects.filter(attempt__exam=exam, attempt__status__in=FINISHED_STATUSES)
        .order_by()
        .values_list(
            "attempt_id",
            "position",
            "version_id",
            "version__question_id",
            "case_id",
            "mark",
            "max_mark",
            "response",
        )
    )
    version_ids = {row[2] for row in rows} | {row[4] for row in rows if row[4]}
    versions = {
        v["id"]: v
        for v in QuestionVersion.objects.filter(id__in=version_ids).values("id", "number", "data")
    }
    responses = []
    item_versions: dict[str, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    item_case: dict[str, int] = {}
    for attempt_id, position, version_id, question_id, case_id, mark, max_mark, response in rows:
        # A deleted question leaves its versions with question=None; the snapshot still
        # names it, so its versions stay one item.
        key = item_key(question_id or versions[version_id]["data"].get("question_id"), version_id)
        responses.append(ItemResponse(attempt_id, key, position, mark, max_mark, response))
        item_versions[key][version_id] = versions[version_id]
        if case_id:
            item_case[key] = case_id
    info = {}
    for key, by_id in item_versions.items():
        newest_first = sorted(by_id.values(), key=lambda v: (v["number"], v["id"]), reverse=True)
        case = versions[item_case[key]]["data"] if key in item_case else None
        info[key] = describe_item([v["data"] for v in newest_first], case)
    return responses, info


def build_report(exam: ExamPage, scope: str) -> ExamReport:
    """Summary and item analysis of an exam: three queries."""
    attempts = load_attempts(exam)
    considered = select_attempts(attempts, scope)
    rows, info = load_items(exam)
    return ExamReport(
        scope=scope,
        summary=summarise(attempts, considered),
        items=analyse_items(considered, rows, info),
    )


def first_attempt_pass_rates() -> dict[int, tuple[int, int]]:
    """Per exam id: (first finished attempts, how many of them passed). One query."""
    first_number = (
        Attempt.objects.filter(
            exam=OuterRef("exam"), user=OuterRef("user"), status__in=FINISHED_STATUSES
        )
        .order_by("number")
        .values("number")[:1]
    )
    rows = (
        Attempt.objects.filter(status__in=FINISHED_STATUSES)
        .annotate(first_number=Subquery(first_number))
        .filter(number=F("first_number"))
        .order_by()
        .values("exam")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )
    return {row["exam"]: (row["total"], row["passed"]) for row in rows}


# --- Presentation helpers ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    band: Band
    x: float
    y: float
    width: float
    height: float
    centre: float

    @property
    def label_y(self) -> float:
        return self.y - 6


@dataclass(frozen=True)
class Chart(Frame):
    bars: list[ChartBar]
    ticks: list[tuple[int, float]]  # (value, y)

    @property
    def band_label_y(self) -> int:
        return self.axis_y + 18

    @property
    def x_title(self) -> tuple[float, int]:
        return ((self.left + self.plot_right) / 2, self.height - 12)

    @property
    def y_title(self) -> tuple[float, int]:
        """In the rotated (−90°) frame: x runs upwards, negated."""
        return (-(self.top + self.axis_y) / 2, 16)


def histogram_chart(bands: tuple[Band, ...], width: int = 640, height: int = 300) -> Chart:
    """Bar geometry for the score histogram, in SVG user units (y grows downwards)."""
    frame = Frame(width, height, left=56, right=16, top=16, bottom=56)
    most = max((b.count for b in bands), default=0)
    step = even_step(most)
    top_value = int(axis_max(most, step))
    boxes = bar_boxes([band.count for band in bands], frame, top_value, fill=0.7, digits=2)
    bars = [
        ChartBar(band, box.x, box.y, box.width, box.height, box.centre)
        for band, box in zip(bands, boxes, strict=True)
    ]
    ticks = [
        (value, scale(value, 0, top_value, frame.axis_y, frame.top, digits=2))
        for value in range(0, top_value + 1, step)
    ]
    return Chart(**vars(frame), bars=bars, ticks=ticks)


def format_percent(value: float | None) -> str:
    """``87.29%``, or ``—`` for an undefined statistic."""
    return "—" if value is None else f"{floatformat(value, 2)}%"


def scope_from(request: HttpRequest) -> str:
    scope = request.GET.get("attempts", "")
    return scope if scope in AttemptScope.values else AttemptScope.FIRST


def type_label(value: str) -> str:
    return str(QuestionType(value).label) if value in QuestionType.values else value


def csv_number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_response(filename: str) -> tuple[HttpResponse, Writer]:
    """A CSV download that Excel opens as UTF-8 (the BOM), so Chinese survives."""
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    return response, csv_writer(response)


# --- Views -------------------------------------------------------------------------------------


class ReportPermissionMixin(View):
    """403 for admin users who may not read attempts (Wagtail would redirect a raised
    PermissionDenied to the dashboard)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not can_view_reports(request.user):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)


class ExamReportIndexView(ReportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every exam with its attempt counts and first-attempt pass rate. Two queries."""

    template_name = "exams/admin/report_index.html"
    page_title = gettext_lazy("Exam reports")
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rates = first_attempt_pass_rates()
        exams = list(
            ExamPage.objects.annotate(
                finished_count=Count("attempts", filter=Q(attempts__status__in=FINISHED_STATUSES)),
                in_progress_count=Count(
                    "attempts", filter=Q(attempts__status=AttemptStatus.IN_PROGRESS)
                ),
                candidate_count=Count("attempts__user", distinct=True),
            ).order_by("title", "id")
        )
        for exam in exams:
            first, passed = rates.get(exam.pk, (0, 0))
            exam.first_attempts = first
            exam.pass_rate = 100 * passed / first if first else None
        context["exams"] = exams
        return context


class ExamReportView(ReportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One exam: summary, score histogram, item analysis and option distribution."""

    template_name = "exams/admin/report_exam.html"
    header_icon = "table"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.scope = scope_from(request)

    def get_page_title(self):
        return self.exam.title

    def get_page_subtitle(self):
        return ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("exam_reports:index"), "label": _("Exam reports")},
            {"url": "", "label": self.exam.title},
        ]

    def get(self, request, *args, **kwargs):
        self.exam = get_object_or_404(ExamPage, pk=kwargs["exam_id"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = build_report(self.exam, self.scope)
        items = [
            {
                "number": number,
                "stats": item,
                "type_label": type_label(item.type),
                "facility": format_percent(item.facility),
                "discrimination": format_percent(item.discrimination),
                "efficiency": format_percent(item.efficiency),
            }
            for number, item in enumerate(report.items, start=1)
        ]
        summary = report.summary
        context.update(
            exam=self.exam,
            report=report,
            summary=summary,
            pass_rate=format_percent(summary.pass_rate),
            mean_percent=format_percent(summary.mean_percent),
            median_percent=format_percent(summary.median_percent),
            items=items,
            flagged=sum(1 for item in report.items if item.flags),
            chart=histogram_chart(report.summary.bands),
            scopes=AttemptScope.choices,
            scope=self.scope,
            scope_label=AttemptScope(self.scope).label,
            query=f"?attempts={self.scope}",
            glossary=GLOSSARY,
            chart_title=_("Scores of the attempts analysed, in bands of 10 points"),
            score_label=_("Score (%)"),
        )
        return context


class ItemAnalysisCSVView(ReportPermissionMixin, View):
    """One row per question: the item analysis as on the report page."""

    def get(self, request: HttpRequest, exam_id: int) -> HttpResponse:
        exam = get_object_or_404(ExamPage, pk=exam_id)
        report = build_report(exam, scope_from(request))
        response, writer = csv_response(f"{exam.slug}-questions.csv")
        writer.writerow(
            [
                _("Question"),
                _("Case"),
                _("Type"),
                _("Attempts (n)"),
                _("Facility index (%)"),
                _("Discrimination index (%)"),
                _("Discriminative efficiency (%)"),
                _("Flags"),
            ]
        )
        for item in report.items:
            writer.writerow(
                [
                    safe_text(item.name),
                    safe_text(item.case_name),
                    type_label(item.type),
                    item.n,
                    csv_number(item.facility),
                    csv_number(item.discrimination),
                    csv_number(item.efficiency),
                    "; ".join(f"{flag.label}: {reason}" for flag, reason in item.flag_reasons),
                ]
            )
        return response


class AttemptsCSVView(ReportPermissionMixin, View):
    """Every attempt at the exam, in the order they started (in progress ones included)."""

    def get(self, request: HttpRequest, exam_id: int) -> HttpResponse:
        exam = get_object_or_404(ExamPage, pk=exam_id)
        response, writer = csv_response(f"{exam.slug}-attempts.csv")
        writer.writerow(
            [
                _("Legal name"),
                _("Email"),
                _("Attempt"),
                _("Status"),
                _("Started"),
                _("Submitted"),
                _("Score"),
                _("Maximum score"),
                _("Percent (%)"),
                _("Passed"),
            ]
        )
        rows = (
            Attempt.objects.filter(exam=exam)
            .order_by("started_at", "id")
            .values_list(
                "user__legal_name",
                "user__email",
                "number",
                "status",
                "started_at",
                "submitted_at",
                "score",
                "max_score",
                "percent",
                "passed",
            )
        )
        labels = dict(AttemptStatus.choices)
        for name, email, number, status, started, submitted, score, max_score, percent, ok in rows:
            writer.writerow(
                [
                    safe_text(name),
                    safe_text(email),
                    number,
                    labels.get(status, status),
                    _datetime(started),
                    _datetime(submitted),
                    "" if score is None else score,
                    "" if max_score is None else max_score,
                    "" if percent is None else percent,
                    "" if ok is None else (_("Yes") if ok else _("No")),
                ]
            )
        return response


def _datetime(value) -> str:
    """In the active time zone (the admin user's, else Asia/Shanghai), Excel-readable."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


# --- Registration (called from exams/wagtail_hooks.py) ----------------------------------------

urlpatterns = [
    path("", ExamReportIndexView.as_view(), name="index"),
    path("<id:exam_id>/", ExamReportView.as_view(), name="exam"),
    path("<id:exam_id>/questions.csv", ItemAnalysisCSVView.as_view(), name="items_csv"),
    path("<id:exam_id>/attempts.csv", AttemptsCSVView.as_view(), name="attempts_csv"),
]


def admin_urls() -> list:
    """For the ``register_admin_urls`` hook: the reports under /admin/exam-reports/."""
    return [path("exam-reports/", include((urlpatterns, "exam_reports"), namespace="exam_reports"))]


class ExamReportsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_reports(request.user)


def reports_menu_item() -> MenuItem:
    """For the ``register_reports_menu_item`` hook: 考试报告 under Reports."""
    return ExamReportsMenuItem(
        gettext_lazy("Exam reports"),
        reverse("exam_reports:index"),
        name="exam-reports",
        icon_name="table",
        order=650,
    )
