"""Forms for the sign-up and profile pages."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .language import supported_language
from .models import User, phone_validator


class TelInput(forms.TextInput):
    input_type = "tel"


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form; allauth calls ``signup`` after creating the user."""

    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=60,
        help_text=_("Your full name as on your ID card; it is printed on your certificates."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=14,
        required=False,
        validators=[phone_validator],
        widget=TelInput(attrs={"autocomplete": "tel"}),
    )

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def signup(self, request: HttpRequest, user: User) -> None:
        user.legal_name = self.cleaned_data["legal_name"]
        user.phone = self.cleaned_data.get("phone", "")
        user.preferred_language = supported_language(get_language())
        user.save(update_fields=["legal_name", "phone", "preferred_language"])
