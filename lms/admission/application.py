"""Applying for admission: starting a draft, saving it, and submitting it for review.

The public pages (``lms.admission.views``) and the admin's "Enter an application"
(``lms.admission.admin_views.staff_apply``) both go through this module, so the refusal of a
credit code and the checks on submit are the same wherever an application comes from.

* :func:`refusal_reason` says why a credit code may not apply (already admitted, pending — a
  firm awaiting review or an application submitted and not yet decided — or banned). It is
  checked when a draft is started or its credit code changes, and again on submit.
* :func:`submit` checks everything a reviewer needs (company basics, an agency's capability, a
  business licence, an answer to every choice question, the evidence a question requires) and
  reports every problem at once (:class:`SubmitRefused`), leaving the draft as it was. Two
  submissions racing for one credit code are kept apart by the database's "one pending
  application per credit code" constraint: the loser is refused with the same reason.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Firm, FirmKind, FirmStatus, User

from . import emails
from .links import issue_link
from .models import (
    PENDING_STATUSES,
    Answer,
    Application,
    ApplicationStatus,
    EvidenceRule,
    LicenceKind,
    Question,
    QuestionKind,
    Questionnaire,
    ReviewKind,
)

# Question kinds the applicant answers (metric questions are measured by the platform).
APPLICANT_KINDS = (QuestionKind.CHOICE, QuestionKind.JUDGEMENT)


class NoQuestionnaire(Exception):
    """No questionnaire is published for the kind of firm; nobody of that kind can apply."""


class SubmitRefused(Exception):
    """The application cannot be submitted yet; ``problems`` lists every reason (translated)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def normalise_code(credit_code: str) -> str:
    """Credit codes are upper case without spaces (as printed on a business licence)."""
    return "".join(credit_code.split()).upper()


def refusal_reason(credit_code: str, *, exclude: Application | None = None) -> str | None:
    """Why a firm with ``credit_code`` may not apply now, or None.

    Refused: a firm already admitted, a firm pending review, a banned firm, and a code with an
    application submitted and not yet decided (``exclude``, the application being saved, does
    not count against itself). A suspended firm may apply again."""
    code = normalise_code(credit_code)
    firm = Firm.objects.filter(credit_code=code).only("status").first()
    if firm is not None:
        if firm.status == FirmStatus.BANNED:
            return _("A firm with this credit code is on the platform's ban list and cannot apply.")
        if firm.status == FirmStatus.ADMITTED:
            return _(
                "A firm with this credit code is already admitted. Its managers see its "
                "admission and any re-assessment on the firm pages."
            )
        if firm.status == FirmStatus.PENDING:
            return _("A firm with this credit code is already awaiting review.")
    pending = Application.objects.filter(credit_code=code, status__in=PENDING_STATUSES)
    if exclude is not None and exclude.pk is not None:
        pending = pending.exclude(pk=exclude.pk)
    if pending.exists():
        return _(
            "An application for this credit code has already been submitted and is being "
            "reviewed. If it is yours, ask for your link again to see its status."
        )
    return None


def start(
    *,
    firm_kind: str,
    firm_name: str,
    credit_code: str,
    contact_name: str,
    contact_email: str,
    created_by: User | None = None,
) -> tuple[Application, str]:
    """A new draft on the questionnaire published for ``firm_kind``, and its secret link, which
    is emailed to the contact person. The caller has checked :func:`refusal_reason`."""
    questionnaire = Questionnaire.current(firm_kind)
    if questionnaire is None:
        raise NoQuestionnaire(firm_kind)
    application = Application.objects.create(
        review_kind=ReviewKind.INITIAL,
        status=ApplicationStatus.DRAFT,
        questionnaire=questionnaire,
        firm_kind=firm_kind,
        firm_name=firm_name,
        credit_code=normalise_code(credit_code),
        contact_name=contact_name,
        contact_email=contact_email,
        created_by=created_by,
    )
    url = issue_link(application)
    emails.send_link(application, url, first=True)
    return application, url


def resend_link(credit_code: str, contact_email: str) -> bool:
    """Email a fresh link to the latest first application with this credit code and contact
    email (the old link stops working). True if one matched; callers answer the same either
    way. Re-assessments are left out: their link goes to the firm's managers, who get a fresh
    one on the firm's admission page (``/firm/admission/``), not to whoever knows the code and
    the contact email."""
    application = (
        Application.objects.filter(
            review_kind=ReviewKind.INITIAL,
            credit_code=normalise_code(credit_code),
            contact_email__iexact=contact_email.strip(),
        )
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .order_by("-created_at", "-pk")
        .first()
    )
    if application is None:
        return False
    emails.send_link(application, issue_link(application), first=False)
    return True


def applicant_questions(application: Application) -> list[Question]:
    """The questions the applicant answers, in questionnaire order (sections, then questions)."""
    return list(
        Question.objects.filter(
            section__questionnaire_id=application.questionnaire_id, kind__in=APPLICANT_KINDS
        )
        .select_related("section")
        .prefetch_related("options")
        .order_by("section__sort_order", "section__pk", "sort_order", "pk")
    )


def problems(application: Application) -> list[str]:
    """Everything that keeps ``application`` from being submitted (empty: it may be)."""
    found: list[str] = []
    required: list[tuple[object, str]] = [
        (application.firm_name, _("the firm's name")),
        (application.credit_code, _("the unified social credit code")),
        (application.legal_representative, _("the legal representative")),
        (application.registered_address, _("the registered address")),
        (application.registered_capital, _("the registered capital")),
        (application.contact_name, _("the contact person")),
        (application.contact_email, _("the contact email")),
        (application.contact_phone, _("the contact phone")),
    ]
    if application.firm_kind == FirmKind.AGENCY:
        required += [
            (application.channels, _("the collection channels used")),
            (application.staff_count, _("the number of collection staff")),
            (application.call_recording, _("the call-recording capability")),
            (application.field_recording, _("the field-visit recording capability")),
            (application.recording_details, _("the recording software and hardware")),
        ]
    for value, label in required:
        if value is None or value == "" or value == []:
            found.append(_("Please fill in %(field)s.") % {"field": label})
    if not application.licences.filter(kind=LicenceKind.BUSINESS).exists():
        found.append(_("Please upload the business licence (营业执照)."))
    answers = {answer.question_id: answer for answer in application.answers.all()}
    for question in applicant_questions(application):
        answer = answers.get(question.pk)
        if question.kind == QuestionKind.CHOICE and (answer is None or answer.option_id is None):
            found.append(_("Please answer “%(question)s”.") % {"question": question.text})
        if question.evidence == EvidenceRule.REQUIRED and (answer is None or not answer.evidence):
            found.append(
                _("“%(question)s” needs evidence: please upload a file.")
                % {"question": question.text}
            )
    if application.review_kind == ReviewKind.INITIAL:
        reason = refusal_reason(application.credit_code, exclude=application)
        if reason:
            found.append(reason)
    return found


def submit(application: Application) -> Application:
    """Submit a draft for review and email the contact person a receipt, or raise
    :class:`SubmitRefused` with every problem (the draft is left as it was)."""
    if application.status != ApplicationStatus.DRAFT:
        raise SubmitRefused([_("This application has already been submitted.")])
    found = problems(application)
    if found:
        raise SubmitRefused(found)
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if locked.status != ApplicationStatus.DRAFT:
                raise SubmitRefused([_("This application has already been submitted.")])
            locked.status = ApplicationStatus.SUBMITTED
            locked.submitted_at = timezone.now()
            locked.save(update_fields=["status", "submitted_at", "updated_at"])
    except IntegrityError as error:  # another application for the code won the race
        reason = refusal_reason(application.credit_code, exclude=application)
        raise SubmitRefused([reason or _("This application could not be submitted.")]) from error
    application.status = locked.status
    application.submitted_at = locked.submitted_at
    emails.send_receipt(application)
    return application


def answer_for(application: Application, question: Question) -> Answer:
    """The application's answer to ``question`` (a new, unsaved one if there is none)."""
    return application.answers.filter(question=question).first() or Answer(
        application=application, question=question
    )
