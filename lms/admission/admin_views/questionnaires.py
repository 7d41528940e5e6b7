"""Admin screens for the versioned questionnaire (namespace ``admission_questionnaires``).

Sections, questions and answer options are edited on one page with nested inline panels. Only
a draft is editable: the edit and delete views of a published or retired version send the user
to its read-only page with a message saying why, and "New version" copies it into a draft.
"Publish" checks the draft (``questionnaires.problems``) and retires the previous version.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from lms.accounts.models import FirmKind
from lms.lib.admin_actions import (
    HeaderActionsMixin,
    ListingActionsMixin,
    Notice,
    ObjectAction,
    ObjectActionView,
    ObjectActionViewSetMixin,
)

from .. import questionnaires
from ..models import Questionnaire, QuestionnaireStatus

QUESTIONNAIRES = "admission_questionnaires"

READ_ONLY = _(
    "Version %(version)s is %(status)s and cannot be changed: applications are scored on it. "
    "Use “New version” to copy it into a draft, edit that, and publish it."
)


def _can_change(user: Any, questionnaire: Questionnaire) -> bool:
    return user.has_perm("admission.change_questionnaire")


def _can_publish(user: Any, questionnaire: Questionnaire) -> bool:
    return questionnaire.is_editable and _can_change(user, questionnaire)


def _can_copy(user: Any, questionnaire: Questionnaire) -> bool:
    return user.has_perm("admission.add_questionnaire")


ACTIONS = (
    ObjectAction(_("Publish"), f"{QUESTIONNAIRES}:publish", "upload", 30, _can_publish),
    ObjectAction(_("New version"), f"{QUESTIONNAIRES}:new_version", "copy", 35, _can_copy),
)


class QuestionnaireFilterSet(WagtailFilterSet):
    firm_kind = django_filters.ChoiceFilter(
        label=_("For firms of kind"),
        choices=FirmKind.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=QuestionnaireStatus.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )

    class Meta:
        model = Questionnaire
        fields = ["firm_kind", "status"]


def _read_only_redirect(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponseBase:
    messages.warning(
        request,
        READ_ONLY
        % {"version": questionnaire.version, "status": questionnaire.get_status_display()},
    )
    return redirect(reverse(f"{QUESTIONNAIRES}:inspect", args=[quote(questionnaire.pk)]))


class QuestionnaireIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = ACTIONS


class QuestionnaireCreateView(generic.CreateView):
    """A new questionnaire is a draft numbered after the highest version of its kind."""

    def save_instance(self) -> Questionnaire:
        self.form.instance.version = questionnaires.next_version(self.form.instance.firm_kind)
        return super().save_instance()


class QuestionnaireEditView(HeaderActionsMixin, generic.EditView):
    """Drafts only; anything else goes to the read-only page (GET and POST alike)."""

    object_actions = ACTIONS

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Users without the permission get Wagtail's refusal from super(), not this message.
        questionnaire = self.get_object()
        if self.user_has_permission("change") and not questionnaire.is_editable:
            return _read_only_redirect(request, questionnaire)
        return super().dispatch(request, *args, **kwargs)

    def save_instance(self) -> Questionnaire:
        # A draft moved to the other kind of firm takes that kind's next number.
        if "firm_kind" in self.form.changed_data:
            self.form.instance.version = questionnaires.next_version(self.form.instance.firm_kind)
        return super().save_instance()


class QuestionnaireDeleteView(generic.DeleteView):
    """A draft only: published and retired versions are kept for the applications on them."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.user_has_permission("delete") and not self.object.is_editable:
            return _read_only_redirect(request, self.object)
        return super().dispatch(request, *args, **kwargs)


class QuestionnaireInspectView(HeaderActionsMixin, generic.InspectView):
    """The whole version, read-only: sections, questions with their options and points."""

    object_actions = ACTIONS
    template_name = "admission/admin/questionnaire_inspect.html"
    object: Questionnaire

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sections"] = self.object.sections.prefetch_related("questions__options")
        context["read_only_message"] = (
            ""
            if self.object.is_editable
            else READ_ONLY
            % {"version": self.object.version, "status": self.object.get_status_display()}
        )
        context["problems"] = (
            questionnaires.problems(self.object) if self.object.is_editable else []
        )
        return context


class PublishView(ObjectActionView):
    object: Questionnaire

    page_title = _("Publish questionnaire")
    submit_label = _("Publish")
    header_icon = "upload"
    question = _(
        "Applicants will answer this version from now on; the version published now for this "
        "kind of firm is retired. A published version cannot be changed."
    )
    success_message = _("Version published.")
    # questionnaires.publish writes the log entry itself.

    def is_actionable(self) -> bool:
        return self.object.is_editable

    def get_refusal(self) -> str:
        return READ_ONLY % {
            "version": self.object.version,
            "status": self.object.get_status_display(),
        }

    def get_notices(self) -> list[Notice]:
        return [
            Notice(problem, level="critical") for problem in questionnaires.problems(self.object)
        ]

    def perform(self, obj: Any, form: forms.Form) -> Questionnaire:
        return questionnaires.publish(obj, by=self.request.user)


class NewVersionView(ObjectActionView):
    object: Questionnaire

    permission_required = "add"
    page_title = _("New version")
    submit_label = _("Create a draft copy")
    header_icon = "copy"
    question = _(
        "A draft copy of this version (sections, questions and answer options) is made with the "
        "next version number. Edit it, then publish it."
    )
    success_message = _("Draft version created; edit it, then publish it.")

    def perform(self, obj: Any, form: forms.Form) -> Questionnaire:
        return questionnaires.new_version(obj, by=self.request.user)

    def get_success_url(self, result: Any = None) -> str:
        if isinstance(result, Questionnaire):
            return reverse(f"{QUESTIONNAIRES}:edit", args=[quote(result.pk)])
        return super().get_success_url(result)


class QuestionnaireViewSet(ObjectActionViewSetMixin, ModelViewSet):
    """问卷: the admission questionnaire's versions (see the module docstring)."""

    model = Questionnaire
    name = QUESTIONNAIRES
    url_prefix = "admission/questionnaires"
    icon = "list-ul"
    menu_label = _("Admission questionnaires")
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = QuestionnaireIndexView
    add_view_class = QuestionnaireCreateView
    edit_view_class = QuestionnaireEditView
    delete_view_class = QuestionnaireDeleteView
    inspect_view_class = QuestionnaireInspectView
    action_views = [("publish", PublishView), ("new_version", NewVersionView)]
    list_display = [
        "__str__",
        "firm_kind",
        "status",
        DateColumn("published_at", label=_("Published"), sort_key="published_at"),
    ]
    filterset_class = QuestionnaireFilterSet
    search_fields = ["title"]
    search_backend_name = None

    edit_handler = ObjectList(
        [
            FieldRowPanel(["firm_kind", "title"]),
            FieldPanel("introduction"),
            FieldRowPanel(["admit_score", "conditional_score", "validity_days"]),
            InlinePanel(
                "sections",
                heading=_("Sections"),
                label=_("Questionnaire section"),
                panels=[
                    FieldRowPanel(["title", "weight"]),
                    InlinePanel(
                        "questions",
                        heading=_("Questions"),
                        label=_("Question"),
                        panels=[
                            FieldPanel("text"),
                            FieldPanel("guidance"),
                            FieldRowPanel(["kind", "weight", "evidence"]),
                            FieldRowPanel(["metric", "metric_zero", "metric_full"]),
                            InlinePanel(
                                "options",
                                heading=_("Answer options"),
                                label=_("Answer option"),
                                panels=[FieldRowPanel(["label", "points", "is_blocker"])],
                            ),
                        ],
                    ),
                ],
            ),
        ]
    )
