"""The application forms, shared by the public pages and the admin's "Enter an application".

Uploads are checked by size and by content (``lms.uploads``): licences must be PDF, JPEG or
PNG, evidence may be anything the audit-evidence allow-list accepts. A file that passes its
check is kept even when another field of the page has an error (see ``editing.py``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms import inlineformset_factory
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms import uploads
from lms.accounts.models import FirmKind
from lms.accounts.models.firms import validate_credit_code

from .application import normalise_code, refusal_reason
from .models import (
    Application,
    Channel,
    CooperationReference,
    EvidenceRule,
    LicenceKind,
    Question,
    QuestionKind,
    Questionnaire,
    RecordingCapability,
    ReviewKind,
)

MAX_LICENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
LICENCE_TYPES = uploads.PDF | {
    mime: kind for mime, kind in uploads.IMAGES.items() if mime in ("image/jpeg", "image/png")
}
EVIDENCE_TYPES = uploads.EVIDENCE_TYPES


def check_file(upload: UploadedFile, allowed: dict[str, uploads.Kind], limit: int) -> uploads.Kind:
    """The allowed kind ``upload`` is, or a ValidationError saying why not (size, then type)."""
    assert upload.name is not None and upload.size is not None  # forms.FileField checked
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    try:
        return uploads.check_upload(upload, upload.name, allowed)
    except uploads.UploadRejected as error:
        raise ValidationError(str(error)) from error


def clean_code(value: str, *, exclude: Application | None = None) -> str:
    code = normalise_code(value)
    validate_credit_code(code)
    reason = refusal_reason(code, exclude=exclude)
    if reason:
        raise ValidationError(reason)
    return code


class StartForm(forms.Form):
    """What it takes to start a draft: the kind of firm, who it is, and where to send the link."""

    firm_kind = forms.ChoiceField(
        label=gettext_lazy("The firm is"), choices=FirmKind.choices, widget=forms.RadioSelect
    )
    firm_name = forms.CharField(label=gettext_lazy("Firm name"), max_length=200)
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=30,
        help_text=gettext_lazy("18 characters, as on the business licence."),
    )
    contact_name = forms.CharField(label=gettext_lazy("Contact person"), max_length=150)
    contact_email = forms.EmailField(
        label=gettext_lazy("Contact email"),
        help_text=gettext_lazy(
            "We send the link to the application here. When the firm is admitted, the contact "
            "person is invited as its first manager."
        ),
    )

    def clean_firm_kind(self) -> str:
        kind = self.cleaned_data["firm_kind"]
        if Questionnaire.current(kind) is None:
            raise ValidationError(_("Applications from firms of this kind are not open yet."))
        return kind

    def clean_credit_code(self) -> str:
        return clean_code(self.cleaned_data["credit_code"])


class BasicsForm(forms.ModelForm):
    """Company basics and, for agencies, their capability. Only what a draft cannot do without
    is required here; the rest is checked on submit (``application.problems``)."""

    # Up to 30 characters as typed: spaces are removed before the 18-character check.
    credit_code = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=30)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Collection channels used"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Application
        fields = [
            "firm_name",
            "credit_code",
            "legal_representative",
            "registered_address",
            "registered_capital",
            "contact_name",
            "contact_email",
            "contact_phone",
            "channels",
            "staff_count",
            "call_recording",
            "field_recording",
            "recording_details",
        ]
        widgets = {
            "recording_details": forms.Textarea(attrs={"rows": 4}),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("call_recording", "field_recording"):
            self.fields[name].widget = forms.RadioSelect(choices=RecordingCapability.choices)
        if self.instance.firm_kind != FirmKind.AGENCY:
            for name in AGENCY_FIELDS:
                del self.fields[name]
        if self.instance.review_kind == ReviewKind.REASSESSMENT:
            # The firm is on the platform already: its name and code change in the firm record.
            for name in ("firm_name", "credit_code"):
                self.fields[name].disabled = True

    def clean_credit_code(self) -> str:
        if self.instance.review_kind == ReviewKind.REASSESSMENT:
            return self.instance.credit_code
        return clean_code(self.cleaned_data["credit_code"], exclude=self.instance)

    def agency_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in AGENCY_FIELDS if name in self.fields]

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in AGENCY_FIELDS]


AGENCY_FIELDS = (
    "channels",
    "staff_count",
    "call_recording",
    "field_recording",
    "recording_details",
)


class ReferenceForm(forms.ModelForm):
    class Meta:
        model = CooperationReference
        fields = ["lender_name", "lender_credit_code", "from_year", "to_year", "contact"]

    def clean_lender_credit_code(self) -> str:
        code = normalise_code(self.cleaned_data.get("lender_credit_code") or "")
        if code:
            validate_credit_code(code)
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from_year"), data.get("to_year")
        if start and end and end < start:
            self.add_error("to_year", _("The end year cannot be before the start year."))
        return data


ReferenceFormSet = inlineformset_factory(
    Application,
    CooperationReference,
    form=ReferenceForm,
    extra=1,
    max_num=30,
    validate_max=True,
    can_delete=True,
)


class LicenceForm(forms.Form):
    """One new licence per save (the page lists the ones already uploaded)."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of licence"),
        choices=LicenceKind.choices,
        initial=LicenceKind.BUSINESS,
    )
    file = forms.FileField(
        label=gettext_lazy("Licence file"),
        required=False,
        help_text=gettext_lazy("PDF, JPEG or PNG, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_file(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("file")
        if upload:
            self.detected = check_file(upload, LICENCE_TYPES, MAX_LICENCE_BYTES)
        return upload


class AnswersForm(forms.Form):
    """The questionnaire's questions the applicant answers: an option for a choice question,
    a comment, and an evidence file where the question asks for one."""

    def __init__(self, questions: list[Question], answers: dict[int, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.questions = questions
        self.detected: dict[int, uploads.Kind] = {}
        for question in questions:
            answer = answers.get(question.pk)
            if question.kind == QuestionKind.CHOICE:
                self.fields[f"q{question.pk}-option"] = forms.TypedChoiceField(
                    label=question.text,
                    choices=[(option.pk, option.label) for option in question.options.all()],
                    coerce=int,
                    required=False,
                    widget=forms.RadioSelect,
                    initial=answer.option_id if answer else None,
                )
            self.fields[f"q{question.pk}-comment"] = forms.CharField(
                label=_("Your answer") if question.kind == QuestionKind.JUDGEMENT else _("Comment"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=answer.comment if answer else "",
            )
            if question.evidence != EvidenceRule.NONE:
                self.fields[f"q{question.pk}-evidence"] = forms.FileField(
                    label=_("Evidence (required)")
                    if question.evidence == EvidenceRule.REQUIRED
                    else _("Evidence (optional)"),
                    required=False,
                    help_text=_(
                        "A photo, PDF, audio or video recording, or an Office document; "
                        "up to 20 MB."
                    ),
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for question in self.questions:
            name = f"q{question.pk}-evidence"
            upload = data.get(name)
            if upload:
                try:
                    self.detected[question.pk] = check_file(
                        upload, EVIDENCE_TYPES, MAX_EVIDENCE_BYTES
                    )
                except ValidationError as error:
                    self.add_error(name, error)
        return data

    def rows(self, answers: dict[int, Any]) -> list[dict[str, Any]]:
        """One entry per question for the template: its section, fields and saved answer."""
        rows = []
        for question in self.questions:
            rows.append(
                {
                    "question": question,
                    "option": self[f"q{question.pk}-option"]
                    if f"q{question.pk}-option" in self.fields
                    else None,
                    "comment": self[f"q{question.pk}-comment"],
                    "evidence": self[f"q{question.pk}-evidence"]
                    if f"q{question.pk}-evidence" in self.fields
                    else None,
                    "answer": answers.get(question.pk),
                }
            )
        return rows


class ResendLinkForm(forms.Form):
    credit_code = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=30)
    contact_email = forms.EmailField(label=gettext_lazy("Contact email"))
