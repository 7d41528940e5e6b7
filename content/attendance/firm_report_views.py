"""Firm managers' attendance pages, mounted at /firm/attendance/ (namespace ``firm_attendance``).

Who sees what follows the firm dashboard's roster (:mod:`lms.accounts.scoping`): a manager sees
the registrations made under their own firm and, for a lender's manager, those of the agencies
the lender currently contracts with. Staff of the manager's own firm appear with their full
legal name; a contracted agency's staff with a masked name (张*三), since the lender needs to know
that they attended, not who they are. Anyone else signed in gets a 403; a session where none of
the manager's scope registered is a 404. Responses are ``no-store``: they carry personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from content.models import EventSession
from lms.accounts.models import Firm
from lms.accounts.scoping import managed_firm, visible_firm_ids
from lms.lib.masking import mask_name

from . import exports, reports


@dataclass(frozen=True)
class ManagerScope:
    """The manager's own firm and every firm whose staff they may see."""

    own_firm: Firm
    firm_ids: frozenset[int]

    def name_of(self, row: reports.AttendanceRow) -> str:
        """Full for the manager's own staff, masked for a contracted agency's."""
        return row.name if row.firm_id == self.own_firm.pk else mask_name(row.name)

    def reason_of(self, row: reports.AttendanceRow) -> str:
        """The last change's reason for the manager's own staff only: free text about a
        contracted agency's person (whose name is masked) is not the lender's to read."""
        return row.reason if row.firm_id == self.own_firm.pk else ""


def _scope(request: HttpRequest) -> ManagerScope:
    firm = managed_firm(request.user)
    if firm is None:
        raise PermissionDenied(_("The firm's attendance pages are for firm managers."))
    return ManagerScope(firm, frozenset(visible_firm_ids(firm)))


def _named(rows: list[reports.AttendanceRow], scope: ManagerScope) -> list[dict]:
    return [{"row": row, "name": scope.name_of(row)} for row in rows]


def _session(pk: int, scope: ManagerScope) -> tuple[EventSession, list[reports.AttendanceRow]]:
    session = get_object_or_404(EventSession.objects.select_related("page"), pk=pk)
    rows = reports.session_rows(session, firm_ids=scope.firm_ids)
    if not rows:
        raise Http404("None of your staff registered for this session.")
    return session, rows


@require_safe
@login_required
@never_cache
def overview(request: HttpRequest) -> HttpResponse:
    """Sessions the firm's staff registered for, counted per state, and every registration."""
    scope = _scope(request)
    rows = reports.firm_rows(scope.firm_ids)
    context = {
        "scope": scope,
        "summaries": reports.session_summaries(firm_ids=scope.firm_ids),
        "rows": _named(rows, scope),
        "totals": reports.totals(rows),
        "multi_firm": len(scope.firm_ids) > 1,
    }
    return render(request, "content/attendance/firm_overview.html", context)


@require_safe
@login_required
@never_cache
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    session, rows = _session(pk, scope)
    context = {
        "scope": scope,
        "session": session,
        "rows": _named(rows, scope),
        "totals": reports.totals(rows),
        "multi_firm": len(scope.firm_ids) > 1,
    }
    return render(request, "content/attendance/firm_session.html", context)


def _export(request: HttpRequest, extension: str, pk: int | None = None) -> HttpResponse:
    scope = _scope(request)
    if pk is None:
        rows, stem = reports.firm_rows(scope.firm_ids), scope.own_firm.name
    else:
        session, rows = _session(pk, scope)
        stem = f"{scope.own_firm.name}-{session.page.title}"
    respond = exports.xlsx_response if extension == "xlsx" else exports.csv_response
    return respond(rows, stem, scope.name_of, scope.reason_of)


@require_safe
@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@require_safe
@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")


@require_safe
@login_required
def session_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, "csv", pk)


@require_safe
@login_required
def session_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, "xlsx", pk)
