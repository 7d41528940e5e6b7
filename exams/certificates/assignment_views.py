"""The manager's programme assignments: list (open, overdue, completed, cancelled), assign,
cancel. Only the manager's own firm's assignments and collectors are reachable."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from lms.accounts.onboarding.access import manager_required
from lms.accounts.request_types import ManagerHttpRequest

from . import assignments
from .forms import AssignForm
from .models import ProgrammeAssignment

PER_PAGE = 50
STATES = {
    "open": gettext_lazy("Open"),
    "overdue": gettext_lazy("Overdue"),
    "completed": gettext_lazy("Completed"),
    "cancelled": gettext_lazy("Cancelled"),
}


def _in_state(queryset, state: str):
    if state == "overdue":
        return queryset.overdue(timezone.localdate())
    if state == "completed":
        return queryset.filter(completed_at__isnull=False).order_by("-completed_at")
    if state == "cancelled":
        return queryset.filter(cancelled_at__isnull=False).order_by("-cancelled_at")
    return queryset.open()


@manager_required
def assignment_list(request: ManagerHttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in STATES:
        state = "open"
    base = ProgrammeAssignment.objects.filter(firm=request.firm)
    counts = {key: _in_state(base, key).count() for key in STATES}
    items = _in_state(base.select_related("user", "programme"), state)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "certificates/assignments.html",
        {
            "firm": request.firm,
            "state": state,
            "states": [(key, label, counts[key]) for key, label in STATES.items()],
            "page": page,
            "today": timezone.localdate(),
            "section": "assignments",
        },
    )


@manager_required
@require_http_methods(["GET", "POST"])
def assign(request: ManagerHttpRequest) -> HttpResponse:
    form = AssignForm(request.POST or None, firm=request.firm)
    if request.method == "POST" and form.is_valid():
        try:
            result = assignments.assign(
                request.firm,
                form.cleaned_data["programme"],
                list(form.cleaned_data["collectors"]),
                due_on=form.cleaned_data["due_on"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Assigned to %(count)d collector(s).") % {"count": len(result.created)},
            )
            if result.already_certified:
                messages.info(
                    request,
                    _(
                        "Already hold a valid certificate of this programme, so their assignment "
                        "is completed: %(names)s."
                    )
                    % {"names": ", ".join(str(user) for user in result.already_certified)},
                )
            if result.already_open:
                messages.info(
                    request,
                    _("Already assigned and still open, so left as they were: %(names)s.")
                    % {"names": ", ".join(str(user) for user in result.already_open)},
                )
            return redirect("certificates:assignments")
    return render(
        request,
        "certificates/assign.html",
        {"firm": request.firm, "form": form, "section": "assignments"},
    )


@manager_required
@require_POST
def cancel(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        ProgrammeAssignment.objects.select_related("user", "programme"), pk=pk, firm=request.firm
    )
    try:
        assignments.cancel(assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The assignment of %(programme)s to %(name)s was cancelled.")
            % {"programme": assignment.programme, "name": assignment.user},
        )
    return redirect("certificates:assignments")
