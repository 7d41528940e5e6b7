"""The roster's filter form (a GET form: filters live in the URL, so they can be bookmarked and
the exports receive exactly the filters the page shows)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.compliance.models import Grade

from .roster import CERTIFICATE_STATES, NOT_RATED, SORTS, RosterFilters, Scope


class RosterFilterForm(forms.Form):
    firm = forms.TypedChoiceField(
        label=_("Firm"), required=False, coerce=int, empty_value=None, choices=()
    )
    grade = forms.ChoiceField(
        label=_("Grade"),
        required=False,
        choices=[("", _("Any grade")), *Grade.choices, (NOT_RATED, _("Not rated yet"))],
    )
    certificate = forms.ChoiceField(
        label=_("Certificate"),
        required=False,
        choices=[("", _("Any status")), *CERTIFICATE_STATES.items()],
    )
    expiring = forms.TypedChoiceField(
        label=_("Expiring"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any time")),
            ("30", _("Within 30 days")),
            ("60", _("Within 60 days")),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue assignments only"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name or employee number."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))

    def __init__(self, data, *, scope: Scope) -> None:
        super().__init__(data)
        self.scope = scope
        firm_field = self.fields["firm"]
        assert isinstance(firm_field, forms.TypedChoiceField)  # declared above
        firm_field.choices = [("", _("All firms"))] + [(firm.pk, firm.name) for firm in scope.firms]
        if len(scope.firms) == 1:
            self.fields["firm"].widget = forms.HiddenInput()
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def filters(self) -> RosterFilters:
        """The valid filters (an invalid field is ignored and shown with its error)."""
        self.is_valid()
        data = self.cleaned_data
        return RosterFilters(
            firm_id=data.get("firm"),
            grade=data.get("grade") or "",
            certificate=data.get("certificate") or "",
            expiring_within=data.get("expiring"),
            overdue_only=bool(data.get("overdue")),
            search=(data.get("q") or "").strip(),
            sort=data.get("sort") or "name",
        )
