"""The manager's assignment form: a programme, the firm's collectors and a due date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import Firm, User
from lms.accounts.onboarding.forms import DateInput
from lms.lib.masking import mask_email

from .assignments import firm_collectors
from .models import CertificationProgramme


def collector_label(user: User) -> str:
    """A collector in the assignment form: the name, and the email masked as the staff list
    masks it (the address only tells two people of the same name apart)."""
    masked = mask_email(user.email)
    return f"{user.legal_name} · {masked}" if user.legal_name else masked


class AssignForm(forms.Form):
    programme = forms.ModelChoiceField(
        CertificationProgramme.objects.filter(is_active=True), label=_("Programme")
    )
    collectors: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Collectors"), widget=forms.CheckboxSelectMultiple
    )
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields holds deep copies of the declared fields, so the same class.
        collectors = self.fields["collectors"]
        assert isinstance(collectors, forms.ModelMultipleChoiceField)
        collectors.queryset = firm_collectors(firm)
        # ModelChoiceField calls self.label_from_instance(obj), so a function set on the
        # instance replaces the method for this field only; mypy forbids assigning to a method.
        collectors.label_from_instance = collector_label  # type: ignore[method-assign,assignment]

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise ValidationError(_("The due date cannot be in the past."))
        return due_on
