"""Audit findings on the front end: a collector's own (``/my-findings/``) and a manager's firm's
(``/firm/findings/``), each with the one appeal a finding may have.

A collector reaches only their own findings; a manager only findings of their own firm (recorded
against the firm, or about one of its current collectors). A lender's manager also *reads* the
findings of the agencies the lender currently contracts with (the scope of
:mod:`lms.accounts.scoping`, as on the dashboard): masked as there — the collector's name masked,
no description, auditor's note or appeal grounds (they may hold debtors' personal data) — and
without the appeal action, which belongs to the agency. Anything else is a 404, so a finding's
existence does not leak. Evidence files are not shown here: they may hold debtors' and
third parties' personal data (recordings, letters), so only auditors and superusers download
them, in the admin; collectors and managers see how many there are.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from lms.accounts.models import Firm, Membership, MembershipRole
from lms.accounts.onboarding.access import manager_required
from lms.accounts.request_types import AuthenticatedHttpRequest, ManagerHttpRequest
from lms.accounts.scoping import visible_firm_ids
from lms.lib.masking import mask_name

from . import findings
from .models import Finding, FindingStatus

PER_PAGE = 30


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=gettext_lazy("Why the finding is wrong"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "A finding can be appealed only once: give every reason and fact you want the "
            "auditor to consider."
        ),
    )


def _listing(queryset: QuerySet[Finding]) -> QuerySet[Finding]:
    # An aggregate drops Meta.ordering, so the order is repeated here (newest first).
    return (
        queryset.select_related("collector", "firm", "regulation", "appeal")
        .annotate(evidence_count=Count("evidence"))
        .order_by("-occurred_on", "-recorded_at", "-pk")
    )


def _about_firms(firm_ids: Iterable[int]) -> Q:
    """Findings recorded against one of the firms, or about one of their current collectors."""
    firm_ids = list(firm_ids)
    collectors = Membership.objects.active().filter(
        firm_id__in=firm_ids, role=MembershipRole.COLLECTOR
    )
    return Q(firm_id__in=firm_ids) | Q(collector__in=collectors.values("user_id"))


def firm_scope(firm: Firm) -> QuerySet[Finding]:
    """Findings a manager of ``firm`` may see and appeal."""
    return Finding.objects.filter(_about_firms([firm.pk]))


def visible_scope(firm: Firm) -> QuerySet[Finding]:
    """Findings a manager of ``firm`` may read: the firm's own (``is_own``) and, for a lender,
    those of the agencies it currently contracts with."""
    own = _about_firms([firm.pk])
    agencies = visible_firm_ids(firm) - {firm.pk}
    scope = own | _about_firms(agencies) if agencies else own
    return Finding.objects.filter(scope).annotate(
        is_own=Case(When(own, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def _as_seen_by_manager(finding: Finding) -> Finding:
    """What the page shows of a finding: an agency's collector by masked name only."""
    collector = finding.collector
    if finding.is_own:
        finding.collector_name = collector.legal_name or collector.email
    else:
        finding.collector_name = mask_name(collector.legal_name) or _("(no name)")
    return finding


def _appeal(
    request: AuthenticatedHttpRequest, finding: Finding, *, back: str, template_context: dict
) -> HttpResponse:
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            findings.appeal(finding, by=request.user, grounds=form.cleaned_data["grounds"])
        except findings.FindingError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        messages.success(
            request,
            _("Your appeal has been filed. An auditor will decide and you will be emailed."),
        )
        return redirect(back)
    if request.method == "GET" and not findings.can_appeal(finding):
        messages.error(request, _("This finding cannot be appealed (again)."))
        return redirect(back)
    return render(
        request,
        "compliance/findings/appeal.html",
        {"finding": finding, "form": form, "back": back, **template_context},
    )


@never_cache
@login_required
def my_findings(request: AuthenticatedHttpRequest) -> HttpResponse:
    items = _listing(Finding.objects.filter(collector=request.user))
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "compliance/findings/mine.html", {"page": page})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def appeal_mine(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(
        Finding.objects.select_related("appeal", "regulation"), pk=pk, collector=request.user
    )
    return _appeal(request, finding, back="findings:mine", template_context={})


@manager_required
def firm_findings(request: ManagerHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    items = _listing(visible_scope(request.firm))
    if status in FindingStatus.values:
        items = items.filter(status=status)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    for finding in page.object_list:
        _as_seen_by_manager(finding)
    return render(
        request,
        "compliance/findings/firm.html",
        {
            "firm": request.firm,
            "page": page,
            "status": status,
            "statuses": FindingStatus.choices,
            "section": "findings",
            "agency_count": len(visible_firm_ids(request.firm) - {request.firm.pk}),
        },
    )


@manager_required
@require_http_methods(["GET", "POST"])
def appeal_for_collector(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(
        firm_scope(request.firm).select_related("appeal", "regulation", "collector"), pk=pk
    )
    return _appeal(
        request,
        finding,
        back="findings:firm",
        template_context={"firm": request.firm, "section": "findings", "for_manager": True},
    )
