"""The trainers' attendance reports in the Wagtail admin, under /admin/attendance-reports/.

Sessions with their registrations counted per state; one session's attendees (name, firm,
state, check-in time, hours credited and how the state was reached); one firm's staff across
sessions. Each with CSV and XLSX exports. For trainers and superusers only (the Trainers role,
read through :mod:`lms.accounts.roles`); anyone else in the admin gets a 403. Trainers run the
sessions, so they see full names, as on the check-in screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from content.models import EventSession
from lms.accounts.models import Firm
from lms.accounts.roles import Role, role_names
from lms.bad_input import is_valid_pk

from . import exports, reports


def can_view_attendance(user) -> bool:
    """Trainers and superusers (one query for the roles, cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or Role.TRAINER in role_names(user)


def _full_name(row: reports.AttendanceRow) -> str:
    return row.name


class AttendancePermissionMixin(View):
    """403 for admin users who are not trainers (Wagtail would redirect a raised
    PermissionDenied to the dashboard)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not can_view_attendance(request.user):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)


class SessionIndexView(AttendancePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every session, latest first, with its registrations counted per state. One query."""

    template_name = "content/attendance/reports/index.html"
    page_title = gettext_lazy("Attendance reports")
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["summaries"] = reports.session_summaries()
        context["states"] = reports.COUNTED_STATES
        return context


class UnderReportsIndexMixin:
    """Breadcrumbs of a page below the reports' index: index › this page."""

    breadcrumbs_items: list[dict[str, Any]]
    get_page_title: Callable[[], str]  # WagtailAdminTemplateMixin's, later in the MRO

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("attendance_reports:index"),
                "label": gettext_lazy("Attendance reports"),
            },
            {"url": "", "label": self.get_page_title()},
        ]


class SessionReportView(
    AttendancePermissionMixin, UnderReportsIndexMixin, WagtailAdminTemplateMixin, TemplateView
):
    """One session's registrations with their totals."""

    template_name = "content/attendance/reports/session.html"
    page_title = gettext_lazy("Session attendance")
    header_icon = "table"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session = get_object_or_404(EventSession.objects.select_related("page"), pk=kwargs["pk"])
        rows = reports.session_rows(session)
        context.update(session=session, rows=rows, totals=reports.totals(rows))
        return context


class SessionExportView(AttendancePermissionMixin, View):
    extension = "csv"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk)
        rows = reports.session_rows(session)
        stem = f"{session.page.title}-{session}"
        if self.extension == "xlsx":
            return exports.xlsx_response(rows, stem, _full_name)
        return exports.csv_response(rows, stem, _full_name)


def _firm(request: HttpRequest) -> Firm | None:
    """The firm in ``?firm=``; none chosen is None; an unknown one, or one that cannot be an id
    (``"²"`` passes ``str.isdigit()`` but not ``int()``), a 404."""
    raw = request.GET.get("firm", "")
    if not raw:
        return None
    if not is_valid_pk(Firm, raw):
        raise Http404("No such firm.")
    return get_object_or_404(Firm, pk=raw)


class FirmReportView(
    AttendancePermissionMixin, UnderReportsIndexMixin, WagtailAdminTemplateMixin, TemplateView
):
    """A firm's staff registrations across sessions (choose the firm in the filter)."""

    template_name = "content/attendance/reports/firm.html"
    page_title = gettext_lazy("Attendance by firm")
    header_icon = "group"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        firm = _firm(self.request)
        rows = reports.firm_rows([firm.pk]) if firm else []
        context.update(
            firms=Firm.objects.order_by("name").only("pk", "name"),
            firm=firm,
            rows=rows,
            totals=reports.totals(rows),
        )
        return context


class FirmExportView(AttendancePermissionMixin, View):
    extension = "csv"

    def get(self, request: HttpRequest) -> HttpResponse:
        firm = _firm(request)
        if firm is None:
            raise Http404("Choose a firm.")
        rows = reports.firm_rows([firm.pk])
        if self.extension == "xlsx":
            return exports.xlsx_response(rows, firm.name, _full_name)
        return exports.csv_response(rows, firm.name, _full_name)


urlpatterns = [
    path("", SessionIndexView.as_view(), name="index"),
    path("sessions/<id:pk>/", SessionReportView.as_view(), name="session"),
    path("sessions/<id:pk>/attendance.csv", SessionExportView.as_view(), name="session_csv"),
    path(
        "sessions/<id:pk>/attendance.xlsx",
        SessionExportView.as_view(extension="xlsx"),
        name="session_xlsx",
    ),
    path("firms/", FirmReportView.as_view(), name="firm"),
    path("firms/attendance.csv", FirmExportView.as_view(), name="firm_csv"),
    path("firms/attendance.xlsx", FirmExportView.as_view(extension="xlsx"), name="firm_xlsx"),
]


def admin_urls() -> list:
    """For the ``register_admin_urls`` hook: /admin/attendance-reports/."""
    return [
        path(
            "attendance-reports/",
            include((urlpatterns, "attendance_reports"), namespace="attendance_reports"),
        )
    ]


class AttendanceReportsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_attendance(request.user)


def reports_menu_item() -> MenuItem:
    """For the ``register_reports_menu_item`` hook: 考勤报表 under Reports."""
    return AttendanceReportsMenuItem(
        gettext_lazy("Attendance reports"),
        reverse("attendance_reports:index"),
        name="attendance-reports",
        icon_name="table",
        order=660,
    )
