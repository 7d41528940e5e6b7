"""The firm managers' dashboard: the roster, its charts and exports, and a page per collector.

Who sees what (least privilege, 个人信息保护法):

* Only firm managers (the "Firm managers" role with an active manager membership) get in;
  anyone else signed in gets a 403. Scope comes from :mod:`lms.accounts.scoping`: a manager
  sees their own firm's active collectors, and a lender's manager also the staff of the
  agencies the lender *currently* contracts with. A collector or firm outside that scope is a
  404, so its existence does not leak.
* Staff of the manager's own firm appear with their full legal name; staff of a contracted
  agency with a masked name (张*三), because the lender needs their certification and rating,
  not who they are. Names are searchable only where they are shown.
* Phone numbers are masked everywhere. A manager of the collector's own firm may reveal one
  collector's phone on that collector's page with an explicit "Show" action (a POST); a lender's
  manager cannot.
* Every collector page view, every revealed phone and every export row with a full name is
  written to the personal-data access log (who, when, which fields). Roster pages are not
  logged row by row: they show only what a manager needs to work with the list.

Every response is ``Cache-Control: no-store``: these pages carry personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from exams.certificates import updates
from exams.certificates.models import Certificate, ProgrammeAssignment
from lms.accounts.models import Membership
from lms.compliance import firm_flags
from lms.compliance.models import CollectorRating, Finding, FindingStatus, Grade
from lms.compliance.privacy import log_access

from . import exports
from .breakdown import breakdown
from .charts import bar_chart, coverage, rating_history
from .forms import RosterFilterForm
from .roster import (
    NOT_RATED,
    Requirements,
    RosterFilters,
    RosterMembership,
    RosterRow,
    Scope,
    apply_filters,
    base_roster,
    filter_condition,
    manager_scope,
    page_rows,
    requirements,
    scoped_roster,
    summarise,
    to_row,
    with_pending_updates,
)

PAGE_SIZE = 50
EXPORT_CHUNK = 1000  # rows read, logged and written at a time


def _scope(request: HttpRequest) -> Scope:
    scope = manager_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("The firm dashboard is for firm managers."))
    return scope


def _filters(request: HttpRequest, scope: Scope) -> tuple[RosterFilterForm, RosterFilters]:
    """The filters in the query string; a firm outside the viewer's scope is a 404."""
    raw_firm = request.GET.get("firm", "")
    if raw_firm:
        if not raw_firm.isdigit() or scope.firm(int(raw_firm)) is None:
            raise Http404("No such firm in your scope.")
    form = RosterFilterForm(request.GET, scope=scope)
    return form, form.filters()


def _roster(
    scope: Scope, filters: RosterFilters
) -> tuple[QuerySet[RosterMembership], QuerySet[RosterMembership]]:
    """The scope's whole roster (for the summary) and the filtered, ordered one, both without
    the per-collector figures (joins only: they read every collector of the scope)."""
    base = scoped_roster(scope, firm_ids=[filters.firm_id] if filters.firm_id else None)
    return base, apply_filters(base, filters, scope)


@never_cache
@login_required
@require_safe
def roster(request: HttpRequest) -> HttpResponse:
    """The roster with its summary figures and charts."""
    scope = _scope(request)
    form, filters = _filters(request, scope)
    needs = requirements()
    base, filtered = _roster(scope, filters)
    summary = summarise(base, matching=filter_condition(filters, scope))
    # The page's ids from the joins alone (a slice used as a subquery; the summary counted the
    # matches), the figures for those rows only: every page costs the same few queries.
    paginator = RosterPaginator(filtered, PAGE_SIZE, count=summary.matching)
    page = paginator.get_page(request.GET.get("page"))
    page_ids = cast("QuerySet[Membership, int]", page.object_list)
    members = page_rows(page_ids, scope, needs=needs, sort=filters.sort)
    rows = with_pending_updates([to_row(membership, scope, needs) for membership in members])
    if filters.firm_id:
        chosen = scope.firm(filters.firm_id)
        assert chosen is not None  # _filters answered a firm outside the scope with a 404
        chart_firms = [chosen]
    else:
        chart_firms = list(scope.firms)
    grade_items = [
        (grade, summary.grade_counts[grade], f"grade-{grade.lower()}") for grade in Grade.values
    ]
    grade_items.append((_("Not rated"), summary.grade_counts[NOT_RATED], "grade-none"))
    history = coverage(chart_firms)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compliance/dashboard/roster.html",
        {
            "scope": scope,
            "form": form,
            "filters": filters,
            "summary": summary,
            "page": page,
            "rows": rows,
            "coverage": history,
            "coverage_chart": None if history.is_empty else history.chart(),
            "grade_chart": bar_chart(grade_items),
            "export_query": query.urlencode(),
            "multi_firm": len(scope.firms) > 1,
            "firm_flags": own_flags(scope),
        },
    )


class RosterPaginator(Paginator):
    """Pages of the filtered roster's ids, read from whichever end of the order is nearer.

    Why: PostgreSQL picks a page by sorting the matching rows, keeping only the first
    ``offset + page size`` of them; for the last page that is every row, sorted by name
    (collation-aware, the slowest comparison it makes). In the reverse order the last page is
    the first, and a sort that keeps 50 rows compares most rows once. ``reverse()`` flips every
    key, NULLS LAST included, and :func:`page_rows` puts the page back in the roster's order.
    """

    def __init__(self, filtered: QuerySet[RosterMembership], per_page: int, *, count: int) -> None:
        super().__init__(filtered.values_list("pk", flat=True), per_page)
        self.backwards = filtered.reverse().values_list("pk", flat=True)
        self.count = count  # a cached_property: the summary counted the matches, no COUNT

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count - top:
            ids = self.object_list[bottom:top]
        else:
            ids = self.backwards[self.count - top : self.count - bottom]
        return Page(ids, number, self)


def own_flags(scope: Scope) -> list[tuple[str, str]]:
    """The manager's own firm's flags (code, plain words): the rating's and admission_expired."""
    firm = scope.own_firm
    reasons = firm_flags.flag_reasons(firm, firm_flags.rating_of(firm))
    return [(code, firm_flags.flag_label(code)) for code in reasons]


def _export(request: HttpRequest, kind: str) -> tuple[Scope, RosterFilters, Iterator[RosterRow]]:
    """The export's rows, read lazily: every matching row, however many (an export that
    silently stopped would mislead), a chunk at a time so memory stays flat. Each chunk's
    unmasked rows are written to the access log before any of them is handed on."""
    scope = _scope(request)
    _form, filters = _filters(request, scope)
    needs = requirements()
    _base, filtered = _roster(scope, filters)
    return scope, filters, _export_rows(filtered, scope, filters, needs, request.user, kind)


def _export_rows(
    filtered: QuerySet[RosterMembership],
    scope: Scope,
    filters: RosterFilters,
    needs: Requirements,
    viewer,
    kind: str,
) -> Iterator[RosterRow]:
    # The ordered ids through a server-side cursor (PostgreSQL), then each chunk's rows with
    # their figures: constant memory, and no query computes figures for the whole roster.
    ids = filtered.values_list("pk", flat=True).iterator(chunk_size=EXPORT_CHUNK)
    try:
        while chunk := list(islice(ids, EXPORT_CHUNK)):
            members = page_rows(chunk, scope, needs=needs, sort=filters.sort)
            rows = [to_row(membership, scope, needs) for membership in members]
            exports.log_export(rows, viewer=viewer, kind=kind)
            yield from rows
    finally:
        # The cursor now, also when the export failed or the download was cut short.
        getattr(ids, "close", lambda: None)()


@never_cache
@login_required
@require_safe
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    scope, filters, rows = _export(request, "CSV")
    return exports.attachment(
        exports.csv_stream(rows),
        exports.CSV_TYPE,
        exports.filename(scope, filters.firm_id, "csv"),
        incomplete=exports.csv_incomplete,
    )


@never_cache
@login_required
@require_safe
def export_xlsx(request: HttpRequest) -> StreamingHttpResponse:
    scope, filters, rows = _export(request, "XLSX")
    return exports.attachment(
        exports.xlsx_stream(rows, title=_("Roster")),
        exports.XLSX_TYPE,
        exports.filename(scope, filters.firm_id, "xlsx"),
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def collector(request: HttpRequest, user_id: int) -> HttpResponse:
    """One collector: rating breakdown and history, certificates, assignments, findings.

    A POST with ``action=show_phone`` shows the full phone number (own firm's managers only).
    """
    scope = _scope(request)
    needs = requirements()
    membership = base_roster(scope, needs=needs).filter(user_id=user_id).first()
    if membership is None:
        raise Http404("No such collector in your scope.")
    row = to_row(membership, scope, needs)
    user = row.user
    phone_shown = False
    if request.method == "POST":
        if request.POST.get("action") != "show_phone":
            raise PermissionDenied(_("Unknown action."))
        if row.name_is_masked:
            raise PermissionDenied(_("Only the collector's own firm may see their phone number."))
        phone_shown = True

    fields = ["employee_number", "rating", "certificates", "assignments", "findings"]
    if not row.name_is_masked:
        fields.insert(0, "legal_name")
    if phone_shown:
        fields.append("phone")
    log_access(
        [user],
        fields=fields,
        context="firm dashboard: phone shown" if phone_shown else "firm dashboard: collector page",
        viewer=request.user,
        firms=[row.firm, scope.own_firm],
    )

    rating = CollectorRating.objects.filter(user=user).first()
    history = rating_history(user)
    certificates = list(
        Certificate.objects.filter(holder=user).select_related("programme").order_by("-issued_at")
    )
    due = updates.pending_updates(Certificate.objects.filter(holder=user)) if certificates else {}
    for certificate in certificates:
        certificate.public_status = certificate.status_on()
        certificate.update = due.get(certificate.pk)  # "需更新 — 截止 <date>"
    assignments = (
        ProgrammeAssignment.objects.filter(user=user, cancelled_at__isnull=True)
        .select_related("programme", "firm")
        .order_by("completed_at", "due_on")
    )
    findings = (
        Finding.objects.filter(collector=user, status=FindingStatus.CONFIRMED)
        .select_related("regulation")
        .order_by("-occurred_on")
    )
    return render(
        request,
        "compliance/dashboard/collector.html",
        {
            "scope": scope,
            "row": row,
            "phone": user.phone if phone_shown else row.phone,
            "phone_shown": phone_shown,
            "can_show_phone": not row.name_is_masked and bool(user.phone) and not phone_shown,
            "rating": rating,
            "components": breakdown(rating.components if rating else None),
            "history": history,
            "history_chart": None if history.is_empty else history.chart(label=_("Score")),
            "certificates": certificates,
            "assignments": assignments,
            "findings": findings,
        },
    )
