"""Admin screens for admission applications (namespace ``admission_applications``).

The listing is the admission reviewers' landing page. The review page shows everything the
decision rests on: the company basics, cooperation references, licences, every answer with its
evidence next to it, the scores per section and in total by the published method
(``scoring.py``), blocker answers, the conclusion they suggest, the training readiness measured
for a re-assessment, and the decisions so far (``_decision_panel.html``). Changing anything
(start the review, score judgement questions) needs ``access.can_review``: a reviewer with a
conflict of interest sees the page with the reason instead of the buttons.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet

from lms.accounts.models import FirmKind
from lms.compliance.firm_flags import flag_label

from .. import review
from ..models import (
    Application,
    ApplicationStatus,
    Channel,
    Conclusion,
    Metric,
    QuestionKind,
    ReviewKind,
)
from ..scoring import score_application
from . import downloads

APPLICATIONS = "admission_applications"


def review_url(application: Application) -> str:
    return reverse(f"{APPLICATIONS}:review", args=[quote(application.pk)])


class ApplicationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ApplicationStatus.choices, empty_label=_("All")
    )
    firm_kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=FirmKind.choices, widget=forms.RadioSelect, empty_label=_("All")
    )
    review_kind = django_filters.ChoiceFilter(
        label=_("Review"),
        choices=ReviewKind.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )

    class Meta:
        model = Application
        fields = ["status", "firm_kind", "review_kind"]


class ApplicationIndexView(generic.IndexView):
    """Each row leads to the review page (there is no edit form for an application here)."""

    def get_base_queryset(self) -> QuerySet[Application]:
        return super().get_base_queryset().select_related("reviewer")

    def get_edit_url(self, instance: Application) -> str:
        return review_url(instance)

    def get_inspect_url(self, instance: Application) -> str:
        return review_url(instance)


# --- The review page ----------------------------------------------------------------------------


class JudgementForm(forms.Form):
    """A score (0–100, blank: not scored yet) and a note for each judgement question."""

    def __init__(self, *args: Any, questions: list, answers: dict, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            answer = answers.get(question.pk)
            self.fields[f"score_{question.pk}"] = forms.DecimalField(
                label=_("Score (0–100)"),
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(100),
                max_digits=5,
                decimal_places=2,
                initial=answer.reviewer_score if answer else None,
                widget=forms.NumberInput(attrs={"step": "1", "inputmode": "decimal"}),
            )
            self.fields[f"note_{question.pk}"] = forms.CharField(
                label=_("Reviewer's note"),
                required=False,
                max_length=4000,
                initial=answer.reviewer_note if answer else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def scores(self) -> dict[int, tuple[Decimal | None, str]]:
        return {
            question.pk: (
                self.cleaned_data[f"score_{question.pk}"],
                self.cleaned_data[f"note_{question.pk}"].strip(),
            )
            for question in self.questions
        }

    def fields_of(self, question_pk: int) -> tuple[forms.BoundField, forms.BoundField]:
        return self[f"score_{question_pk}"], self[f"note_{question_pk}"]


READINESS_EXTRA = {
    "active_collectors": _("Active collectors"),
    "flag_reasons": _("Rating flags"),
    "measured_at": _("Measured at"),
}


def readiness_rows(readiness: dict) -> list[tuple[str, Any]]:
    """(label, value) for each readiness number measured (labels from ``Metric``)."""
    labels: dict[str, Any] = {"active_collectors": READINESS_EXTRA["active_collectors"]}
    labels.update({metric.value: metric.label for metric in Metric})
    labels["flag_reasons"] = READINESS_EXTRA["flag_reasons"]
    labels["measured_at"] = READINESS_EXTRA["measured_at"]
    rows = []
    for key, label in labels.items():
        if key not in readiness or readiness[key] in (None, "", []):
            continue
        value = readiness[key]
        if key == "flag_reasons":
            value = ", ".join(flag_label(code) for code in value)
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        rows.append((str(label), value))
    return rows


class ReviewView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """The review page of one application (GET), and the judgement scores (POST)."""

    permission_policy = None  # set by the view set
    permission_required = "view"
    template_name = "admission/admin/review.html"
    header_icon = "clipboard-list"
    index_url_name = f"{APPLICATIONS}:index"
    application: Application
    form: JudgementForm | None = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.application = get_object_or_404(
            Application.objects.select_related(
                "questionnaire", "firm", "reviewer", "created_by", "previous"
            ),
            pk=kwargs["pk"],
        )

    def get_page_title(self) -> str:
        return str(_("Review: %(firm)s") % {"firm": self.application.firm_name})

    def get_page_subtitle(self) -> str:
        return self.application.get_status_display()

    def get_breadcrumbs_items(self) -> list[dict]:
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": Application._meta.verbose_name_plural},
            {"url": "", "label": self.application.firm_name},
        ]

    def scoring_form(self, data: Any = None) -> JudgementForm | None:
        """The judgement scores form, while this user may score this application."""
        if self.application.status not in review.SCORABLE_STATUSES or self.refusal:
            return None
        questions = review.judgement_questions(self.application)
        if not questions:
            return None
        answers = {a.question_id: a for a in self.application.answers.all()}
        return JudgementForm(data, questions=questions, answers=answers)

    @property
    def refusal(self) -> str | None:
        if not hasattr(self, "_refusal"):
            self._refusal = review.refusal(self.request.user, self.application)
        return self._refusal

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = self.application
        result = score_application(application)
        # Who scored each judgement answer: one query for all, not one per answer.
        prefetch_related_objects(
            [q.answer for entry in result.sections for q in entry.questions if q.answer],
            "scored_by",
        )
        form = self.form if self.form is not None else self.scoring_form()
        sections = [
            {
                "entry": entry,
                "rows": [
                    {
                        "scored": scored,
                        "fields": form.fields_of(scored.question.pk)
                        if form is not None and scored.question.kind == QuestionKind.JUDGEMENT
                        else None,
                    }
                    for scored in entry.questions
                ],
            }
            for entry in result.sections
        ]
        channels = dict(Channel.choices)
        context.update(
            application=application,
            result=result,
            sections=sections,
            suggestion_label=dict(Conclusion.choices).get(result.suggestion or "", ""),
            form=form,
            refusal=self.refusal if review.is_reviewer(self.request.user) else None,
            can_review=self.refusal is None,
            can_start=self.refusal is None and application.status == ApplicationStatus.SUBMITTED,
            channels=[channels.get(code, code) for code in application.channels or []],
            references=application.references.all(),
            licences=[
                (licence, reverse(f"{APPLICATIONS}:licence", args=[licence.pk]))
                for licence in application.licences.all()
            ],
            readiness=readiness_rows(application.readiness or {}),
            start_url=reverse(f"{APPLICATIONS}:start_review", args=[application.pk]),
            score_url=reverse(f"{APPLICATIONS}:review", args=[application.pk]),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.refusal:
            # The page again, saying why (a conflict of interest, say), and nothing saved.
            return self.render_to_response(self.get_context_data(), status=403)
        self.form = self.scoring_form(request.POST)
        if self.form is None:
            messages.error(request, _("This application cannot be scored now."))
            return redirect(review_url(self.application))
        if self.form.is_valid():
            try:
                changed = review.score_judgements(
                    self.application, self.form.scores(), by=request.user
                )
            except ValidationError as error:
                self.form.add_error(None, error)
            else:
                messages.success(
                    request, _("Scores saved (%(count)s changed).") % {"count": changed}
                )
                return redirect(review_url(self.application))
        messages.error(request, _("The scores could not be saved; see the errors below."))
        return self.render_to_response(self.get_context_data(), status=400)


class StartReviewView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """POST: take the submitted application on (it becomes under review, by this user)."""

    permission_policy = None  # set by the view set
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        application = get_object_or_404(Application, pk=kwargs["pk"])
        reason = review.refusal(request.user, application)
        if reason:
            messages.error(request, reason)
            return redirect(review_url(application))
        try:
            review.start_review(application, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("You are now reviewing this application."))
        return redirect(review_url(application))


class ApplicationViewSet(ModelViewSet):
    """申请审核: listing (the reviewers' landing page) and the review page. Applications are
    entered by applicants or on "Enter an application"; there is no edit form here."""

    model = Application
    name = APPLICATIONS
    url_prefix = "admission/applications"
    icon = "clipboard-list"
    menu_label = _("Admission applications")
    add_to_admin_menu = True
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = ApplicationIndexView
    list_display = [
        "firm_name",
        "credit_code",
        "firm_kind",
        "review_kind",
        "status",
        DateColumn("submitted_at", label=_("Submitted"), sort_key="submitted_at"),
        Column("reviewer", label=_("Reviewer")),
    ]
    list_per_page = 50
    filterset_class = ApplicationFilterSet
    # A substring match: Chinese names have no word boundaries for a search backend to use.
    search_fields = ["firm_name", "credit_code"]
    search_backend_name = None

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "inspect"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self) -> list:
        kwargs = {"permission_policy": self.permission_policy}
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<id:pk>/", ReviewView.as_view(**kwargs), name="review"),
            path("<id:pk>/start/", StartReviewView.as_view(**kwargs), name="start_review"),
            path("licence/<id:pk>/", downloads.download_licence, name="licence"),
            path("evidence/<id:pk>/", downloads.download_evidence, name="evidence"),
        ]
