"""Re-assessments: before an admission lapses, the firm is reviewed again.

Every day (beat task ``lms.admission.tasks.open_reassessments``, or ``manage.py
open_reassessments``) each admitted firm whose admission expires within
:data:`WINDOW_DAYS` days — or has already expired — and has no open re-assessment gets one: a
draft application (``ReviewKind.REASSESSMENT``) on the questionnaire now published for its kind,
pre-filled from the firm's last decided application (basics, agency capability, cooperation
references, and each answer whose question is the same, or has the same text and an option with
the same label), with the firm's training readiness measured into ``Application.readiness`` and
into the metric questions' answers. The contact person is the firm's first active manager (by
``active_from``) — a former contact keeps nothing of the firm's — and the previous contact only
when the firm has no active manager. The firm's active managers are emailed a link to it
(``links.issue_link``). Readiness is measured again when a reviewer starts the review
(:func:`refresh_readiness`, called by ``review.start_review``): the draft may have waited weeks.

Licences and evidence files are not carried over: a re-assessment asks for current documents.
Running it again opens nothing new and sends nothing (the open re-assessment is found; the
database's one-open-re-assessment-per-firm constraint settles a race). An expired admission
only flags the firm (``lms.compliance.firm_flags``); its status is never changed here. So does
an overdue condition of the firm's effective decision (:func:`admission_flags`, registered on
``firm_flags.ADMISSION_FLAGS_HOOK``): ``condition_overdue``, a label, never a status change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from lms.accounts.models import Firm, FirmStatus, Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.accounts.tasks import send_email
from lms.compliance import firm_flags

from . import links, readiness
from .models import (
    OPEN_STATUSES,
    Answer,
    Application,
    ApplicationStatus,
    Condition,
    CooperationReference,
    Decision,
    DecisionState,
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


def effective_decisions(firm: Firm) -> QuerySet[Decision]:
    """The firm's decisions in effect, newest first. A decision effective at once has no
    ``confirmed_at``; it counts from ``proposed_at`` (NULLs sort differently on SQLite and
    PostgreSQL, so they are never left to the database)."""
    return Decision.objects.filter(application__firm=firm, state=DecisionState.EFFECTIVE).order_by(
        Coalesce("confirmed_at", "proposed_at").desc(), "-pk"
    )


def effective_decision(firm: Firm) -> Decision | None:
    """The firm's current admission decision: the newest in effect, with its conditions."""
    return (
        effective_decisions(firm)
        .select_related("application")
        .prefetch_related("conditions")
        .first()
    )


def admission_flags(firm: Firm) -> list[str]:
    """``condition_overdue`` when a condition of the firm's effective decision is unmet past its
    due date (``firm_flags.ADMISSION_FLAGS_HOOK``). A label for people; nothing changes."""
    overdue = Condition.objects.filter(
        decision__in=effective_decisions(firm).values("pk")[:1],
        met_on__isnull=True,
        due_on__lt=timezone.localdate(),
    )
    return [firm_flags.CONDITION_OVERDUE] if overdue.exists() else []


def active_managers(firm: Firm) -> QuerySet[User]:
    """The firm's active managers with the manager role, an active account and an email."""
    managers = Membership.objects.active().filter(firm=firm, role=MembershipRole.MANAGER)
    return (
        User.objects.filter(
            pk__in=managers.values("user_id"), is_active=True, groups__name=Role.FIRM_MANAGER
        )
        .exclude(email="")
        .distinct()
    )


def manager_recipients(firm: Firm) -> list[User]:
    """Who is emailed about the firm's re-assessment: its active managers."""
    return list(active_managers(firm).order_by("email"))


def first_manager(firm: Firm) -> User | None:
    """The firm's longest-serving active manager (earliest ``active_from``): the re-assessment's
    contact person."""
    membership = (
        Membership.objects.active()
        .filter(firm=firm, role=MembershipRole.MANAGER, user__in=active_managers(firm))
        .select_related("user")
        .order_by("active_from", "pk")
        .first()
    )
    return membership.user if membership is not None else None


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
    manager = first_manager(firm)
    if manager is not None:
        application.contact_name = manager.legal_name
        application.contact_email = manager.email
        application.contact_phone = manager.phone
    elif previous is not None:  # no active manager: the last contact is all there is
        application.contact_name = previous.contact_name
        application.contact_email = previous.contact_email
        application.contact_phone = previous.contact_phone
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


def refresh_readiness(application: Application) -> dict:
    """Measure the firm's training readiness again into ``application.readiness`` and its metric
    answers' ``metric_value`` (a metric with nothing to measure is cleared: the question drops
    out of the weighting). For a re-assessment only; a first application has no firm yet.
    Returns the new measurement. The caller holds the application (``start_review``)."""
    if application.review_kind != ReviewKind.REASSESSMENT or application.firm is None:
        return application.readiness
    measured = readiness.measure(application.firm)
    application.readiness = measured
    application.save(update_fields=["readiness", "updated_at"])
    existing = {
        answer.question_id: answer
        for answer in application.answers.filter(question__kind=QuestionKind.METRIC)
    }
    metric_questions = Question.objects.filter(
        section__questionnaire_id=application.questionnaire_id, kind=QuestionKind.METRIC
    )
    for question in metric_questions:
        value = readiness.metric_value(measured, question.metric)
        answer = existing.get(question.pk)
        if answer is None:
            if value is not None:
                Answer.objects.create(
                    application=application, question=question, metric_value=value
                )
        elif answer.metric_value != value:
            answer.metric_value = value
            answer.save(update_fields=["metric_value"])
    return measured


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
