"""Forms for the manager's staff pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CertificationProgramme
from lms.accounts.forms import TelInput
from lms.accounts.models import Firm, phone_validator
from lms.lib.masking import mask_email

from .assignments import firm_collectors
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


def collector_label(user) -> str:
    """A collector in the assignment form: the name, and the email masked as the staff list
    masks it (the address only tells two people of the same name apart)."""
    masked = mask_email(user.email)
    return f"{user.legal_name} · {masked}" if user.legal_name else masked


class AssignForm(forms.Form):
    programme = forms.ModelChoiceField(
        CertificationProgramme.objects.filter(is_active=True), label=_("Programme")
    )
    collectors = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Collectors"), widget=forms.CheckboxSelectMultiple
    )
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args: object, firm: Firm, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collectors"].queryset = firm_collectors(firm)
        self.fields["collectors"].label_from_instance = collector_label

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise ValidationError(_("The due date cannot be in the past."))
        return due_on


class EndMembershipForm(forms.Form):
    """The day a collector left: today unless the manager says otherwise (people are often
    marked as left a few days late). Not in the future: the membership would end on a day
    that has not happened, while the roster still counted them."""

    left_on = forms.DateField(label=_("Last day at the firm"), widget=DateInput())

    def __init__(self, *args: object, membership, **kwargs: object) -> None:
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

    def __init__(self, user, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.legal_name:
            del self.fields["legal_name"]

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def clean(self) -> dict:
        from allauth.account.adapter import get_adapter

        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("You must type the same password each time."))
        elif first:
            try:
                get_adapter().clean_password(first, user=self.user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
