"""The forms of the decision screens: the decision, its conditions, declining, a condition met.

They check shapes (required fields, dates); the rules (complete score, blockers, two people)
are :mod:`lms.admission.decisions`', which reports every problem on the form at once.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from lms.accounts.models import BanCategory

from .decisions import ConditionSpec
from .models import Application, Conclusion


class DecisionForm(forms.Form):
    conclusion = forms.ChoiceField(
        label=_("Conclusion"), choices=Conclusion.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For reviewers and the firm's history; never sent to the applicant, whose email "
            "carries the conclusion, the validity and the conditions only."
        ),
    )
    ban_category = forms.ChoiceField(
        label=_("Ban category"),
        choices=[("", "—"), *BanCategory.choices],
        required=False,
        help_text=_("Only for a ban: shown on the ban list."),
    )
    valid_until = forms.DateField(
        label=_("Admission valid until"),
        required=False,
        widget=AdminDateInput,
        help_text=_(
            "Only for an admission; leave empty for the questionnaire's validity, which is also "
            "the longest allowed. Conditions must be due by this date."
        ),
    )
    override_blocker = forms.BooleanField(
        label=_("Admit despite a blocker answer"),
        required=False,
        help_text=_("A second reviewer must confirm an override before it takes effect."),
    )
    override_reason = forms.CharField(
        label=_("Why the blocker is overridden"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to reviewers only, with the decision."),
    )

    def __init__(self, *args, application: Application, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.application = application


class ConditionForm(forms.Form):
    text = forms.CharField(label=_("Condition"), max_length=500, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=AdminDateInput)

    def clean(self):
        data = super().clean() or {}
        if data.get("text", "").strip() and not data.get("due_on"):
            self.add_error("due_on", _("Give the date the condition is due."))
        if data.get("due_on") and not data.get("text", "").strip():
            self.add_error("text", _("Describe the condition, or clear its date."))
        return data


class BaseConditionFormSet(forms.BaseFormSet):
    def specs(self) -> list[ConditionSpec]:
        return [
            ConditionSpec(form.cleaned_data["text"], form.cleaned_data["due_on"])
            for form in self.forms
            if form.cleaned_data.get("text", "").strip() and form.cleaned_data.get("due_on")
        ]


ConditionFormSet = forms.formset_factory(
    ConditionForm, formset=BaseConditionFormSet, extra=3, max_num=20, validate_max=True
)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The first reviewer sees it with the application."),
    )


class ConditionMetForm(forms.Form):
    met_on = forms.DateField(
        label=_("Met on"),
        required=False,
        widget=AdminDateInput,
        help_text=_("Leave empty for today."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How it was met, e.g. the document received."),
    )
