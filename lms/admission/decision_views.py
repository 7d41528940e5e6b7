"""The admin screens of a decision (namespace ``admission_decisions``).

``decide`` (an application's pk) shows the score, the decisions so far and, for a reviewer who
may decide it, the decision form with its conditions; ``confirm`` and ``decline`` (a decision's
pk) are the second reviewer's; ``condition_met`` (a condition's pk) records that a condition was
met. Every screen is for admission reviewers only (403 otherwise); a conflict of interest shows
its reason instead of the form. The rules are :mod:`lms.admission.decisions`'; these views parse,
authorise, call and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from lms.lib.admin_actions import ObjectActionView, display_date, display_text

from . import decisions
from .access import conflict_of_interest, is_reviewer
from .decision_forms import ConditionFormSet, ConditionMetForm, DecisionForm, DeclineForm
from .models import Application, Condition, Decision, DecisionState
from .scoring import score_application

DECISIONS = "admission_decisions"


def decide_url(application: Application) -> str:
    return reverse(f"{DECISIONS}:decide", args=[quote(application.pk)])


class ReviewerOnlyMixin:
    """403 for anyone who is not an admission reviewer (the model permissions do not apply:
    deciding is ``admission.review_application``), checked in ``setup`` before the object is
    looked up: a non-reviewer gets the same 403 for an id that exists and one that does not."""

    request: HttpRequest

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not is_reviewer(request.user):
            raise PermissionDenied
        super().setup(request, *args, **kwargs)  # type: ignore[misc]


class DecideView(ReviewerOnlyMixin, WagtailAdminTemplateMixin, FormView):
    """Decide an application: conclusion, reasons, conditions, ban category, blocker override."""

    template_name = "admission/admin/decide.html"
    page_title = gettext_lazy("Decision")
    header_icon = "tick-inverse"
    form_class = DecisionForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.application = get_object_or_404(
            Application.objects.select_related("questionnaire", "firm"), pk=kwargs["pk"]
        )
        self.conflict = conflict_of_interest(request.user, self.application)

    def get_page_subtitle(self) -> str:
        return self.application.firm_name

    def get_breadcrumbs_items(self) -> list[dict]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_header_title()}]

    @property
    def decidable(self) -> bool:
        return self.conflict is None and self.application.status in decisions.DECIDABLE

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["application"] = self.application
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "conditions",
            ConditionFormSet(
                data=self.request.POST if self.request.method == "POST" else None,
                prefix="conditions",
            ),
        )
        context.update(
            application=self.application,
            result=score_application(self.application),
            conflict=self.conflict,
            decidable=self.decidable,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.conflict is not None:  # the page again, with the conflict (403)
            return self.render_to_response(self.get_context_data(), status=403)
        if not self.decidable:
            messages.error(request, _("This application cannot be decided now."))
            return redirect(decide_url(self.application))
        form = self.get_form()
        conditions = ConditionFormSet(data=request.POST, prefix="conditions")
        if not (form.is_valid() and conditions.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, conditions=conditions))
        data = form.cleaned_data
        try:
            decision = decisions.decide(
                self.application,
                by=request.user,  # type: ignore[arg-type]  # a reviewer: signed in (dispatch)
                conclusion=data["conclusion"],
                reasons=data["reasons"],
                ban_category=data["ban_category"],
                conditions=conditions.specs(),  # type: ignore[attr-defined]  # BaseConditionFormSet
                override_blocker=data["override_blocker"],
                override_reason=data["override_reason"],
                valid_until=data["valid_until"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(self.get_context_data(form=form, conditions=conditions))
        if decision.state == DecisionState.PROPOSED:
            messages.success(
                request, _("Decision proposed. Another reviewer must confirm it to take effect.")
            )
        else:
            messages.success(
                request,
                _("Decision recorded: %(conclusion)s.")
                % {"conclusion": decision.get_conclusion_display()},
            )
        return redirect(decide_url(self.application))


class SecondReviewerView(ReviewerOnlyMixin, ObjectActionView):
    """Confirm or decline a proposed decision (two-person rule)."""

    model = Decision
    permission_required = None  # type: ignore[assignment]
    header_icon = "tick-inverse"

    def get_queryset(self):
        return Decision.objects.select_related("application", "proposed_by")

    def get_return_url(self) -> str:
        assert isinstance(self.object, Decision)
        return decide_url(self.object.application)

    def get_details(self) -> list[tuple[str, Any]]:
        decision = self.object
        assert isinstance(decision, Decision)
        return [
            (_("Firm"), decision.application.firm_name),
            (_("Credit code"), decision.application.credit_code),
            (_("Conclusion"), decision.get_conclusion_display()),
            (_("Ban category"), decision.get_ban_category_display() or "—"),
            (_("Overrides a blocker answer"), _("Yes") if decision.overrides_blocker else _("No")),
            (_("Why the blocker is overridden"), display_text(decision.override_reason) or "—"),
            (_("Total score"), decision.score if decision.score is not None else "—"),
            (_("Reasons"), display_text(decision.reasons)),
            (_("Proposed by"), decision.proposed_by),
            (_("Proposed at"), display_date(decision.proposed_at)),
        ]

    def is_actionable(self) -> bool:
        return self.get_refusal() == ""

    def get_refusal(self) -> str:
        decision = self.object
        assert isinstance(decision, Decision)
        if decision.state != DecisionState.PROPOSED:
            return _("This decision no longer waits for a second reviewer.")
        conflict = conflict_of_interest(self.request.user, decision.application)
        if conflict:
            return conflict
        if decision.proposed_by_id == self.request.user.pk:
            return _("Another reviewer must confirm or decline a decision you proposed.")
        return ""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.is_actionable():  # the page again, saying why (403)
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)


class ConfirmView(SecondReviewerView):
    page_title = gettext_lazy("Confirm the decision")
    submit_label = gettext_lazy("Confirm: it takes effect")
    question = gettext_lazy(
        "You are the second reviewer. Confirming makes the decision take effect and changes the "
        "firm's status; both your names are kept with it."
    )

    def perform(self, obj, form):
        return decisions.confirm(obj, by=self.request.user)

    def get_success_message(self, result) -> str:
        return _("Decision confirmed: %(conclusion)s.") % {
            "conclusion": result.get_conclusion_display()
        }


class DeclineView(SecondReviewerView):
    page_title = gettext_lazy("Decline the decision")
    submit_label = gettext_lazy("Decline")
    submit_class = "button no"
    form_class = DeclineForm
    question = gettext_lazy(
        "Declining sends the application back to review; nothing changes for the firm."
    )

    def perform(self, obj, form):
        return decisions.decline(obj, by=self.request.user, reason=form.cleaned_data["reason"])

    def get_success_message(self, result) -> str:
        return _("Decision declined; the application is back under review.")


class ConditionMetView(ReviewerOnlyMixin, ObjectActionView):
    """Record that a condition of an admission was met."""

    model = Condition
    permission_required = None  # type: ignore[assignment]
    form_class = ConditionMetForm
    page_title = gettext_lazy("Condition met")
    submit_label = gettext_lazy("Record as met")
    header_icon = "tick"

    def get_queryset(self):
        return Condition.objects.select_related("decision__application")

    def get_return_url(self) -> str:
        assert isinstance(self.object, Condition)
        return decide_url(self.object.decision.application)

    def get_details(self) -> list[tuple[str, Any]]:
        condition = self.object
        assert isinstance(condition, Condition)
        return [
            (_("Firm"), condition.decision.application.firm_name),
            (_("Condition"), condition.text),
            (_("Due on"), display_date(condition.due_on)),
        ]

    def get_refusal(self) -> str:
        condition = self.object
        assert isinstance(condition, Condition)
        if condition.met_on is not None:
            return _("This condition is already marked as met.")
        if condition.decision.state != DecisionState.EFFECTIVE:
            return _("The admission is not in effect.")
        return conflict_of_interest(self.request.user, condition.decision.application) or ""

    def is_actionable(self) -> bool:
        return self.get_refusal() == ""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.is_actionable():  # the page again, saying why (403)
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def perform(self, obj, form):
        return decisions.mark_condition_met(
            obj,
            by=self.request.user,
            met_on=form.cleaned_data["met_on"],
            note=form.cleaned_data["note"],
        )

    def get_success_message(self, result) -> str:
        return _("Condition recorded as met.")


class DecisionViewSet(ViewSet):
    """The decision screens; reached from the review page's decision panel (no menu item)."""

    name = DECISIONS
    url_prefix = "admission/decisions"
    icon = "tick-inverse"

    def get_urlpatterns(self) -> list:
        return [
            path("application/<id:pk>/", DecideView.as_view(), name="decide"),
            path("<id:pk>/confirm/", ConfirmView.as_view(), name="confirm"),
            path("<id:pk>/decline/", DeclineView.as_view(), name="decline"),
            path("conditions/<id:pk>/met/", ConditionMetView.as_view(), name="condition_met"),
        ]
