"""「录入申请」: platform staff enter an application in the admin (e.g. one received on paper).

The same forms and checks as the public pages (``editing.Editor``, ``application``), with
``created_by`` = the staff member, which also bars them from reviewing it
(``access.conflict_of_interest``). They may save a draft and submit it; the contact person is
emailed the secret link as on the public pages, so they can follow the status. Staff see and
edit only the drafts they entered themselves. Needs ``admission.add_application``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from lms.accounts.request_types import AuthenticatedHttpRequest

from .. import application as service
from ..downloads import serve
from ..editing import Editor
from ..forms import StartForm
from ..models import Application, LicenceDocument

ADD_PERMISSION = "admission.add_application"
NAMESPACE = "admission_staff_apply"


def _require(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_perm(ADD_PERMISSION):
        raise PermissionDenied


def _own_application(request: AuthenticatedHttpRequest, pk: int) -> Application:
    _require(request)
    return get_object_or_404(Application, pk=pk, created_by=request.user)


def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The applications this staff member entered, drafts first."""
    _require(request)
    applications = Application.objects.filter(created_by=request.user).order_by(
        "-status", "-created_at"
    )
    drafts = [a for a in applications if a.is_editable_by_applicant]
    others = [a for a in applications if not a.is_editable_by_applicant]
    return TemplateResponse(
        request,
        "admission/admin/apply_index.html",
        {"drafts": drafts, "others": others, "page_title": _("Enter an application")},
    )


@require_http_methods(["GET", "POST"])
def add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a draft for a firm (the contact person is emailed the link)."""
    _require(request)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application, _url = service.start(**form.cleaned_data, created_by=request.user)
        except service.NoQuestionnaire:
            form.add_error("firm_kind", _("Applications from firms of this kind are not open yet."))
        else:
            messages.success(
                request,
                _("Draft started; the contact person has been emailed the link to it."),
            )
            return redirect(f"{NAMESPACE}:edit", application.pk)
    return TemplateResponse(
        request,
        "admission/admin/apply_start.html",
        {"form": form, "page_title": _("Enter an application")},
    )


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The draft's one-page form; save as a draft or submit it for review."""
    application = _own_application(request, pk)
    if not application.is_editable_by_applicant:
        messages.info(
            request, _("This application has been submitted; reviewers take it from here.")
        )
        return redirect(f"{NAMESPACE}:index")
    problems: list[str] = []
    had_errors = False
    if request.method == "POST":
        editor = Editor(application, request.POST, request.FILES)
        valid = editor.save()
        editor.apply_removals(request.POST)
        if valid and request.POST.get("action") == "submit":
            try:
                service.submit(application)
            except service.SubmitRefused as refused:
                problems = refused.problems
            else:
                messages.success(request, _("The application has been submitted for review."))
                return redirect(f"{NAMESPACE}:index")
        elif valid:
            messages.success(request, _("The draft is saved."))
            return redirect(f"{NAMESPACE}:edit", application.pk)
        else:
            had_errors = True
    else:
        editor = Editor(application)
    context = editor.context(
        licence_url=lambda licence: reverse(f"{NAMESPACE}:licence", args=[licence]),
        evidence_url=lambda question: reverse(
            f"{NAMESPACE}:evidence", args=[application.pk, question]
        ),
    )
    context.update(
        problems=problems,
        had_errors=had_errors,
        page_title=_("Application: %(firm)s") % {"firm": application.firm_name},
    )
    return TemplateResponse(request, "admission/admin/apply_edit.html", context)


def licence_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    _require(request)
    licence = LicenceDocument.objects.filter(pk=pk, application__created_by=request.user).first()
    if licence is None:
        raise Http404("No such licence among your applications.")
    return serve(licence.file, licence.content_type)


def evidence_file(request: AuthenticatedHttpRequest, pk: int, question: int) -> HttpResponseBase:
    application = _own_application(request, pk)
    answer = application.answers.filter(question_id=question).exclude(evidence="").first()
    if answer is None:
        raise Http404("No evidence for this question.")
    return serve(answer.evidence, answer.evidence_content_type)


class StaffApplyMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ADD_PERMISSION)


class StaffApplyViewSet(ViewSet):
    """The admin's "Enter an application" (its own menu item; the lead groups the admission
    menu)."""

    name = NAMESPACE
    url_prefix = "admission/enter"
    icon = "form"
    menu_label = gettext_lazy("Enter an application")
    add_to_admin_menu = True
    menu_order = 960

    menu_item_class = StaffApplyMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", index, name="index"),
            path("new/", add, name="add"),
            path("<id:pk>/", edit, name="edit"),
            path("licences/<id:pk>/", licence_file, name="licence"),
            path("<id:pk>/evidence/<id:question>/", evidence_file, name="evidence"),
        ]
