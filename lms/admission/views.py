"""The public application pages under /firms/apply/ (no account needed).

An applicant starts a draft (kind, name, credit code, contact), is sent to the draft's secret
link (also emailed), fills in the rest on one page, saves as often as they like and submits.
The same link then shows the status, and once decided the outcome and its conditions (never a
reviewer's name). Licences and evidence are downloadable through the link only. Pages carrying
the token are never cached, and the site's ``same-origin`` referrer policy keeps the link from
leaking to other sites (``no-referrer`` would make browsers send ``Origin: null`` with the
page's own forms, which the CSRF check refuses).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from lms.accounts.models import FirmKind
from lms.lib.ratelimit import client_ip, hit

from . import application as service
from .downloads import serve
from .editing import Editor
from .forms import ResendLinkForm, StartForm
from .links import application_for_token
from .models import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionState,
    Questionnaire,
    ReviewKind,
)
from .scoring import section_shares

DEFAULT_RATE = "20/h"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _application(token: str) -> Application:
    application = application_for_token(token)
    if application is None:
        raise Http404("No application has this link (it may have been replaced by a newer one).")
    return application


def _throttled(request: HttpRequest, form: Form) -> int | None:
    """Starting drafts and asking for links send email: each client IP may post
    ``ADMISSION_APPLY_RATE`` times (default 20 an hour) to the two forms together. Over it, the
    seconds to wait, and the form says so."""
    rate = getattr(settings, "ADMISSION_APPLY_RATE", DEFAULT_RATE)
    wait = hit(request, group="admission-apply", key=client_ip, rate=rate)
    if wait:
        form.is_valid()  # show what was typed, with the reason on top
        form.add_error(
            None,
            _("Too many attempts from your network. Please try again in %(minutes)s minutes.")
            % {"minutes": max(1, -(-wait // 60))},
        )
    return wait


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The intro, and the short form that starts a draft and sends its link."""
    form = StartForm(request.POST or None, initial={"firm_kind": request.GET.get("kind")})
    if request.method == "POST" and (wait := _throttled(request, form)):
        return _too_many(render(request, "admission/start.html", {"form": form}), wait)
    if request.method == "POST" and form.is_valid():
        try:
            _application, url = service.start(**form.cleaned_data)
        except service.NoQuestionnaire:
            form.add_error("firm_kind", _("Applications from firms of this kind are not open yet."))
        else:
            messages.success(
                request,
                _(
                    "Your draft is saved. We have emailed this page's link to %(email)s: keep "
                    "it to come back later."
                )
                % {"email": form.cleaned_data["contact_email"]},
            )
            # The path only: SITE_BASE_URL may differ from the host the browser used, and a
            # redirect to another origin breaks the form-action CSP.
            return _private(redirect(urlsplit(url).path))
    return render(request, "admission/start.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """The draft's form while it is a draft; its status once submitted."""
    application = _application(token)
    if not application.is_editable_by_applicant:
        return _private(status_page(request, application))
    if request.method == "POST":
        editor = Editor(application, request.POST, request.FILES)
        valid = editor.save()  # also applies the "Remove" buttons
        if editor.refused:  # submitted meanwhile: nothing stored, what was typed shown
            response = _edit_page(request, editor, [])
            response.status_code = 409
            return _private(response)
        if valid and request.POST.get("action") == "submit":
            try:
                service.submit(application)
            except service.SubmitRefused as refused:
                return _private(_edit_page(request, editor, refused.problems))
            messages.success(request, _("Your application has been submitted for review."))
            return _private(redirect(request.path))
        if valid:
            messages.success(request, _("Your draft is saved."))
            return _private(redirect(request.path))
        return _private(_edit_page(request, editor, [], had_errors=True))
    return _private(_edit_page(request, Editor(application), []))


def _edit_page(
    request: HttpRequest, editor: Editor, problems: list[str], *, had_errors: bool = False
) -> HttpResponse:
    token = request.resolver_match.kwargs["token"] if request.resolver_match else ""
    context = editor.context(
        licence_url=lambda pk: reverse("admission:licence", args=[token, pk]),
        evidence_url=lambda pk: reverse("admission:evidence", args=[token, pk]),
    )
    context.update(problems=problems, had_errors=had_errors)
    return render(request, "admission/edit.html", context)


def status_page(request: HttpRequest, application: Application) -> HttpResponse:
    decision = (
        Decision.objects.filter(application=application, state=DecisionState.EFFECTIVE)
        .prefetch_related("conditions")
        .first()
    )
    return render(
        request,
        "admission/status.html",
        {
            "application": application,
            "decision": decision,
            "conditions": list(decision.conditions.all()) if decision else [],
            "awaiting": application.status == ApplicationStatus.AWAITING_CONFIRMATION,
        },
    )


def licence_file(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """A licence of the application whose link this is (to its holder only)."""
    licence = _application(token).licences.filter(pk=pk).first()
    if licence is None:
        raise Http404("No such licence on this application.")
    return serve(licence.file, licence.content_type)


def evidence_file(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """The evidence of one answer (``pk``: the question) of the application of this link."""
    answer = _application(token).answers.filter(question_id=pk).exclude(evidence="").first()
    if answer is None:
        raise Http404("No evidence for this question on this application.")
    return serve(answer.evidence, answer.evidence_content_type)


@require_http_methods(["GET", "POST"])
def resend_link(request: HttpRequest) -> HttpResponse:
    """A fresh link by email when the credit code and contact email match an application.
    The answer is the same whether or not they did, so nobody learns who applied."""
    form = ResendLinkForm(request.POST or None)
    if request.method == "POST" and (wait := _throttled(request, form)):
        return _too_many(render(request, "admission/resend_link.html", {"form": form}), wait)
    if request.method == "POST" and form.is_valid():
        service.resend_link(form.cleaned_data["credit_code"], form.cleaned_data["contact_email"])
        email = form.cleaned_data["contact_email"]
        return render(request, "admission/link_sent.html", {"email": email})
    return render(request, "admission/resend_link.html", {"form": form})


def scoring_method(request: HttpRequest) -> HttpResponse:
    """The published scoring method, with each kind's sections, weights and thresholds. A
    section's share of the total differs between a first application (sections with no
    question that applies, i.e. only platform-data questions, are left out) and a
    re-assessment; both come from ``scoring.section_shares``."""
    questionnaires = []
    for kind, label in FirmKind.choices:
        questionnaire = Questionnaire.current(kind)
        if questionnaire is None:
            continue
        sections = list(
            questionnaire.sections.prefetch_related("questions__options").order_by(
                "sort_order", "pk"
            )
        )
        first = section_shares(sections, ReviewKind.INITIAL)
        again = section_shares(sections, ReviewKind.REASSESSMENT)
        questionnaires.append(
            {
                "label": label,
                "questionnaire": questionnaire,
                "sections": [
                    {
                        "section": section,
                        "first_share": first_share,
                        "reassessment_share": reassessment_share,
                        "questions": sorted(
                            section.questions.all(), key=lambda q: (q.sort_order or 0, q.pk)
                        ),
                    }
                    for section, first_share, reassessment_share in zip(
                        sections, first, again, strict=True
                    )
                ],
            }
        )
    return render(request, "admission/scoring.html", {"questionnaires": questionnaires})
