"""The firm managers' admission page: the firm's status, how long the admission is valid, its
flags (the rating's and the admission's: ``admission_expired``, ``condition_overdue``), the
decision in effect with its conditions, the open re-assessment (with a fresh link), and for a
lender the standing of the agencies it contracts with today.

Only a firm's managers get in (``lms.accounts.scoping.managed_firm``); anyone else signed in
gets a 403. Nothing about reviewers is shown, as on the applicant's own status page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lms.accounts.models import Contract, Firm, FirmKind
from lms.accounts.request_types import AuthenticatedHttpRequest
from lms.accounts.scoping import managed_firm
from lms.compliance import firm_flags

from . import reassessment


def _firm(request: HttpRequest) -> Firm:
    firm = managed_firm(request.user)
    if firm is None:
        raise PermissionDenied(_("The firm's admission page is for firm managers."))
    return firm


@never_cache
@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    reasons = firm_flags.flag_reasons(firm, firm_flags.rating_of(firm))
    agencies = []
    if firm.kind == FirmKind.LENDER:
        contracts = Contract.objects.current().filter(lender=firm).select_related("agency")
        agencies = [
            (agency, firm_flags.admission_reasons(agency))
            for agency in sorted({contract.agency for contract in contracts}, key=lambda a: a.name)
        ]
    return render(
        request,
        "admission/firm/index.html",
        {
            "firm": firm,
            "flags": [(code, firm_flags.flag_label(code)) for code in reasons],
            "decision": reassessment.effective_decision(firm),
            "reassessment": reassessment.open_reassessment(firm),
            "agencies": agencies,
        },
    )


@never_cache
@login_required
@require_POST
def fresh_link(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A fresh link to the open re-assessment, emailed to the manager asking; earlier links
    stop working. Without an open re-assessment there is nothing to link to."""
    firm = _firm(request)
    application = reassessment.open_reassessment(firm)
    if application is None:
        messages.error(request, _("Your firm has no open re-assessment."))
        return redirect("admission_firm:index")
    reassessment.notify_managers(application, recipients=[request.user])
    messages.success(
        request,
        _(
            "We emailed a fresh link to the re-assessment to %(email)s. Links sent earlier no "
            "longer work."
        )
        % {"email": request.user.email},
    )
    return redirect("admission_firm:index")
