"""Forms for the manager's staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.forms import TelInput
from lms.accounts.models import Membership, User, phone_validator

from .importing import MAX_BYTES, MAX_EMPLOYEE_NUMBER, MAX_NAME, normalise_phone


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class InviteForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME,
        help_text=_("As on their ID card: it is printed on their certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=20, required=False, widget=TelInput()
    )
    employee_number = forms.CharField(
        label=_("Employee number"), max_length=MAX_EMPLOYEE_NUMBER, required=False
    )

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone:
            phone_validator(phone)
        return phone


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Staff list"),
        help_text=_(
            "CSV or Excel (.xlsx), up to 1 MB and 2,000 rows. Columns: name, email, phone, "
            "employee number (姓名, 邮箱, 手机号, 工号)."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("The file is %(size)s; the limit is 1 MB. Split the list into several files.")
                % {"size": filesizeformat(upload.size)}
            )
        return upload


class EndMembershipForm(forms.Form):
    """The day a collector left: today unless the manager says otherwise (people are often
    marked as left a few days late). Not in the future: the membership would end on a day
    that has not happened, while the roster still counted them."""

    left_on = forms.DateField(label=_("Last day at the firm"), widget=DateInput())

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"left_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.membership = membership
        field = self.fields["left_on"]
        field.widget.attrs.update(
            min=membership.active_from.isoformat(), max=timezone.localdate().isoformat()
        )

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return left_on


class ConfirmImportForm(forms.Form):
    digest = forms.CharField(widget=forms.HiddenInput)
    only_valid = forms.BooleanField(
        required=False, label=_("Import only the valid rows and leave the rows with errors out")
    )


class JoinForm(forms.Form):
    """The invitation page for a new account: a password (twice), and the legal name when the
    firm did not give one. Passwords go through allauth's adapter, hence Django's validators."""

    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=MAX_NAME,
        help_text=_("Your full name as on your ID card; it is printed on your certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.legal_name:
            del self.fields["legal_name"]

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def clean(self) -> dict[str, Any]:
        from allauth.account.adapter import get_adapter

        # Form.clean() returns self.cleaned_data (typed as possibly None for subclasses that
        # return nothing): read the attribute, which is always the dict.
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("You must type the same password each time."))
        elif first:
            try:
                get_adapter().clean_password(first, user=self.user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
