"""Re-assessments: before an admission lapses, the firm is reviewed again.

Every day (beat task ``lms.admission.tasks.open_reassessments``, or ``manage.py
open_reassessments``) each admitted firm whose admission expires within
:data:`WINDOW_DAYS` days — or has already expired — and has no open re-assessment gets one: a
draft application (``ReviewKind.REASSESSMENT``) on the questionnaire now published for its kind,
pre-filled from the firm's last decided application (basics, contact, agency capability,
cooperation references, and each answer whose question is the same, or has the same text and an
option with the same label), with the firm's training readiness measured into
``Application.readiness`` and into the metric questions' answers. The firm's active managers
are emailed a link to it (``links.issue_link``).

Licences and evidence files are not carried over: a re-assessment asks for current documents.
Running it again opens nothing new and sends nothing (the open re-assessment is found; the
database's one-open-re-assessment-per-firm constraint settles a race). An expired admission
only flags the firm (``lms.compliance.firm_flags``); its status is never changed here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from lms.accounts.models import Firm, FirmStatus, Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.accounts.tasks import send_email

from . import links, readiness
from .models import (
    OPEN_STATUSES,
    Answer,
    Application,
    ApplicationStatus,
    CooperationReference,
    Question,
    QuestionKind,
    Questionnaire,
    ReviewKind,
)

logger = logging.getLogger(__name__)

WINDOW_DAYS = 30
DECIDED_STATUSES = (
    ApplicationStatus.ADMITTED,
    ApplicationStatus.CONDITIONAL,
    ApplicationStatus.REJECTED,
    ApplicationStatus.BANNED,
)
EMAIL_TEMPLATES = "admission/email"
BASICS = (
    "firm_name",
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
)


@dataclass
class Outcome:
    """What a run did: the re-assessments opened, and the firms skipped with the reason."""

    opened: list[Application] = field(default_factory=list)
    skipped: list[tuple[Firm, str]] = field(default_factory=list)


def open_reassessment_exists() -> Exists:
    return Exists(
        Application.objects.filter(
            firm=OuterRef("pk"), review_kind=ReviewKind.REASSESSMENT, status__in=OPEN_STATUSES
        )
    )


def due_firms(today: date | None = None) -> QuerySet[Firm]:
    """Admitted firms expiring within the window (or expired) without an open re-assessment."""
    today = today or timezone.localdate()
    return (
        Firm.objects.filter(
            status=FirmStatus.ADMITTED,
            admission_expires_on__isnull=False,
            admission_expires_on__lte=today + timedelta(days=WINDOW_DAYS),
        )
        .exclude(open_reassessment_exists())
        .order_by("admission_expires_on", "pk")
    )


def open_reassessment(firm: Firm) -> Application | None:
    """The firm's open re-assessment, if any."""
    return (
        Application.objects.filter(
            firm=firm, review_kind=ReviewKind.REASSESSMENT, status__in=OPEN_STATUSES
        )
        .order_by("-created_at")
        .first()
    )


def last_decided(firm: Firm) -> Application | None:
    """The firm's most recently decided application (first or re-assessment)."""
    return (
        Application.objects.filter(firm=firm, status__in=DECIDED_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def manager_recipients(firm: Firm) -> list[User]:
    """The firm's active managers with the manager role and an active account."""
    managers = Membership.objects.active().filter(firm=firm, role=MembershipRole.MANAGER)
    return list(
        User.objects.filter(
            pk__in=managers.values("user_id"), is_active=True, groups__name=Role.FIRM_MANAGER
        )
        .exclude(email="")
        .order_by("email")
        .distinct()
    )


def open_due(today: date | None = None) -> Outcome:
    """Open a re-assessment for every due firm (see the module docstring)."""
    outcome = Outcome()
    for firm in due_firms(today):
        application, problem = open_for(firm)
        if application is not None:
            outcome.opened.append(application)
        elif problem:
            outcome.skipped.append((firm, problem))
    return outcome


def open_for(firm: Firm) -> tuple[Application | None, str]:
    """Open ``firm``'s re-assessment and email its managers; ``(None, why)`` when it cannot
    (no published questionnaire for its kind), ``(None, "")`` when one is already open."""
    questionnaire = Questionnaire.current(firm.kind)
    if questionnaire is None:
        return None, f"no published questionnaire for {firm.kind} firms"
    measured = readiness.measure(firm)
    try:
        with transaction.atomic():
            locked = Firm.objects.select_for_update().get(pk=firm.pk)
            if open_reassessment(locked) is not None:
                return None, ""
            application = create(locked, questionnaire, measured)
            notify_managers(application)
    except IntegrityError:  # another run opened it at the same moment
        return None, ""
    return application, ""


def create(firm: Firm, questionnaire: Questionnaire, measured: dict) -> Application:
    """The draft re-assessment, pre-filled from the firm's last decided application."""
    previous = last_decided(firm)
    application = Application(
        review_kind=ReviewKind.REASSESSMENT,
        status=ApplicationStatus.DRAFT,
        questionnaire=questionnaire,
        firm=firm,
        previous=previous,
        firm_name=firm.name,
        credit_code=firm.credit_code,
        firm_kind=firm.kind,
        readiness=measured,
    )
    if previous is not None:
        for name in BASICS:
            setattr(application, name, getattr(previous, name))
        application.firm_name = firm.name
    else:
        manager = next(iter(manager_recipients(firm)), None)
        if manager is not None:
            application.contact_name = manager.legal_name
            application.contact_email = manager.email
            application.contact_phone = manager.phone
    application.save()
    if previous is not None:
        CooperationReference.objects.bulk_create(
            CooperationReference(
                application=application,
                lender_name=ref.lender_name,
                lender_credit_code=ref.lender_credit_code,
                from_year=ref.from_year,
                to_year=ref.to_year,
                contact=ref.contact,
            )
            for ref in previous.references.all()
        )
    Answer.objects.bulk_create(carried_answers(application, previous, measured))
    return application


def carried_answers(
    application: Application, previous: Application | None, measured: dict
) -> list[Answer]:
    """The new application's answers: metric questions from ``measured``; the others from
    ``previous`` where the question is the same, or has the same text and (for a choice) an
    option with the same label. Reviewer scores are not carried: reviewers score afresh."""
    old = list(previous.answers.select_related("question", "option")) if previous else []
    by_question = {answer.question_id: answer for answer in old}
    by_text = {answer.question.text.strip(): answer for answer in old}
    questions = Question.objects.filter(
        section__questionnaire=application.questionnaire
    ).prefetch_related("options")
    answers = []
    for question in questions:
        if question.kind == QuestionKind.METRIC:
            value = readiness.metric_value(measured, question.metric)
            if value is not None:
                answers.append(
                    Answer(application=application, question=question, metric_value=value)
                )
            continue
        before = by_question.get(question.pk) or by_text.get(question.text.strip())
        if before is None:
            continue
        option = None
        if question.kind == QuestionKind.CHOICE:
            if before.option is None:
                continue
            option = next((o for o in question.options.all() if o.pk == before.option_id), None)
            if option is None:
                option = next(
                    (o for o in question.options.all() if o.label == before.option.label), None
                )
            if option is None:
                continue
        answers.append(
            Answer(
                application=application, question=question, option=option, comment=before.comment
            )
        )
    return answers


def notify_managers(application: Application, recipients: list[User] | None = None) -> int:
    """Email a fresh link to the re-assessment (to the firm's active managers, or to
    ``recipients``), after the transaction commits. Earlier links stop working. Returns how
    many people were emailed."""
    firm = application.firm
    assert firm is not None  # a re-assessment always has its firm
    people = manager_recipients(firm) if recipients is None else recipients
    if not people:
        return 0
    url = links.issue_link(application)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "firm": firm,
            "url": url,
            "expires_on": (
                formats.date_format(firm.admission_expires_on, "DATE_FORMAT")
                if firm.admission_expires_on
                else ""
            ),
            "expired": firm.admission_expired,
        }
        subject = render_to_string(f"{EMAIL_TEMPLATES}/reassessment_subject.txt", context)
        body = render_to_string(f"{EMAIL_TEMPLATES}/reassessment_body.txt", context)
    # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
    send_email.delay_on_commit(  # type: ignore[attr-defined]
        subject=" ".join(subject.split()), body=body, to=[person.email for person in people]
    )
    return len(people)
