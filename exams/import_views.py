"""The admin screen for importing questions: upload, preview, import.

Who: users with ``exams.add_question`` (Trainers and Reviewers, from migration 0002) and
superusers; creating a new bank also needs ``exams.add_questionbank``. Others are turned
away by Wagtail's "no permission" redirect (PermissionDenied), and people without admin access
by Wagtail's own check.

Flow: the form takes a file (at most 5 MB and 2,000 questions, counted before anything is
parsed: see ``exams.import_limits``; bigger files go through ``manage.py import_questions``), a
bank (chosen, or a new name), the format (from the extension unless chosen) and "skip invalid
questions". *Preview* runs
:func:`exams.importing.plan_import`, which writes nothing, and shows every question that
would be imported and every error, skip and warning; the file is kept in the session (under a
one-time token) so that *Import* on the preview page does not need it again. *Import* on the
form imports at once. Either way the import runs :func:`exams.importing.run_import` again from
the file, so what is written never depends on what a browser sent back.
"""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic.base import ContextMixin, TemplateResponseMixin
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .import_limits import COMMAND, MAX_ADMIN_QUESTIONS, count_questions
from .importing import (
    GIFT,
    MAX_UPLOAD_BYTES,
    MOODLE_XML,
    ImportRejected,
    ImportReport,
    format_for_name,
    plan_import,
    run_import,
)
from .models import QuestionBank, QuestionType

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lms.accounts.models import User

PERMISSION = "exams.add_question"
SESSION_KEY = "exams_question_import"
URL_NAME = "exams_import_questions"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "GIFT (.gift or .txt, UTF-8) or Moodle XML (.xml), up to 5 MB and 2,000 questions."
        ),
    )
    bank = forms.ModelChoiceField(
        QuestionBank.objects.all(),
        required=False,
        label=gettext_lazy("Question bank"),
        empty_label=gettext_lazy("— a new bank —"),
    )
    new_bank = forms.CharField(
        max_length=100,
        required=False,
        label=gettext_lazy("New bank name"),
        help_text=gettext_lazy("Only when no bank is chosen above."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[
            ("", gettext_lazy("From the file extension")),
            (GIFT, "GIFT"),
            (MOODLE_XML, "Moodle XML"),
        ],
    )
    skip_invalid = forms.BooleanField(
        label=gettext_lazy("Skip invalid questions"),
        required=False,
        help_text=gettext_lazy(
            "Import the valid questions even if others have errors; the errors are listed."
        ),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is 5 MB. Split it into smaller files.")
                % {"size": filesizeformat(upload.size)}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        bank, name = cleaned.get("bank"), (cleaned.get("new_bank") or "").strip()
        if bank and name:
            self.add_error("new_bank", _("Choose a bank or give a new name, not both."))
        elif not bank and not name:
            self.add_error("bank", _("Choose a bank, or give a name for a new one."))
        elif name and not QuestionBank.objects.filter(name=name).exists():
            if not self.user.has_perm("exams.add_questionbank"):
                self.add_error("new_bank", _("You may not create question banks."))
        upload = cleaned.get("file")
        if upload and not cleaned.get("format"):
            fmt = format_for_name(upload.name)
            if fmt is None:
                self.add_error(
                    "format",
                    _("The file name does not say which format it is in: choose the format."),
                )
            cleaned["format"] = fmt
        if upload and cleaned.get("format"):
            self.check_question_count(upload, cleaned["format"])
        cleaned["bank_name"] = bank.name if bank else name
        return cleaned

    def check_question_count(self, upload, fmt: str) -> None:
        """Refuse a file with more questions than one web request should import."""
        data = upload.read()
        upload.seek(0)
        if count_questions(data, fmt, MAX_ADMIN_QUESTIONS) > MAX_ADMIN_QUESTIONS:
            self.add_error(
                "file",
                _(
                    "The file has more than %(max)s questions; this screen imports at most "
                    "%(max)s at a time. Split the file, or have an administrator import it on "
                    "the server with “%(command)s FILE --bank NAME”."
                )
                % {"max": f"{MAX_ADMIN_QUESTIONS:,}", "command": COMMAND},
            )


class ImportQuestionsView(WagtailAdminTemplateMixin, TemplateResponseMixin, ContextMixin, View):
    page_title = gettext_lazy("Import questions")
    header_icon = "upload"
    template_name = "exams/admin/import_form.html"
    report_template_name = "exams/admin/import_report.html"

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=ImportForm(user=request.user)))

    def post(self, request: HttpRequest) -> HttpResponse:
        if "token" in request.POST:
            return self.confirm(request)
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data["file"].read()
        upload = {
            "data": data,
            "format": form.cleaned_data["format"],
            "bank_name": form.cleaned_data["bank_name"],
            "skip_invalid": form.cleaned_data["skip_invalid"],
            "filename": form.cleaned_data["file"].name,
        }
        if request.POST.get("action") == "import":
            return self.run(request, upload)
        report = plan_import(
            data, upload["format"], upload["bank_name"], skip_invalid=upload["skip_invalid"]
        )
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            **upload,
            "data": base64.b64encode(data).decode("ascii"),
            "token": token,
        }
        return self.show(report, upload, stage="preview", token=token)

    def confirm(self, request: HttpRequest) -> HttpResponse:
        stored = request.session.get(SESSION_KEY)
        if not stored or not secrets.compare_digest(stored["token"], request.POST["token"]):
            messages.error(
                request, _("This preview is no longer available: upload the file again.")
            )
            return self.render_to_response(
                self.get_context_data(form=ImportForm(user=request.user))
            )
        del request.session[SESSION_KEY]
        upload = {**stored, "data": base64.b64decode(stored["data"])}
        if request.POST.get("skip_invalid") == "1":
            upload["skip_invalid"] = True
        return self.run(request, upload)

    def run(self, request: HttpRequest, upload: dict) -> HttpResponse:
        try:
            report = run_import(
                upload["data"],
                upload["format"],
                upload["bank_name"],
                skip_invalid=upload["skip_invalid"],
                user=request.user,
            )
        except ImportRejected as exc:
            return self.show(exc.report, upload, stage="rejected")
        messages.success(
            request,
            _("Imported %(count)d question(s) into %(bank)s.")
            % {"count": report.imported, "bank": report.bank_name},
        )
        return self.show(report, upload, stage="done")

    def show(
        self, report: ImportReport, upload: dict, *, stage: str, token: str = ""
    ) -> HttpResponse:
        types = dict(QuestionType.choices)
        rows = [
            {
                "name": q.name,
                "type": types.get(q.type, q.type),
                "category": "/".join(q.category),
                "choices": len(q.choices),
                "where": q.where,
            }
            for q in report.questions
        ]
        context = self.get_context_data(
            report=report,
            rows=rows,
            stage=stage,
            token=token,
            filename=upload["filename"],
            format_label="GIFT" if upload["format"] == GIFT else "Moodle XML",
            action_url=reverse(URL_NAME),
            can_skip=bool(report.invalid)
            and not report.skip_invalid
            and bool(report.questions)
            and not report.errors,
        )
        return self.response_class(
            request=self.request, template=[self.report_template_name], context=context
        )


import_questions = ImportQuestionsView.as_view()
