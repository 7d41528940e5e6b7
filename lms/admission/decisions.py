"""Deciding an application: the conclusion, the two-person rule, conditions, and the effect.

A reviewer without a conflict of interest (``access.can_review``) records a conclusion with
reasons on a submitted application or one under review:

* **rejected** takes effect at once;
* **admitted** needs a complete score (``scoring``) of at least the questionnaire's
  ``conditional_score`` (below it, reject) and takes effect at once, unless an answer is a
  blocker: admitting despite one needs ``override_blocker`` with a reason (kept in
  ``Decision.override_reason``, for reviewers only), and is only *proposed*. It is valid until
  ``valid_until``: after today and at most today + the questionnaire's ``validity_days`` (the
  default);
* **admitted with conditions** is as admitted, with at least one condition, each due after
  today and no later than the admission's ``valid_until``;
* **banned** needs a ban category and is always only *proposed*.

A proposed decision waits for a second reviewer (another person, also without a conflict):
:func:`confirm` makes it effective, :func:`decline` sends the application back to review. While
it waits the application is ``awaiting_confirmation``.

An effective decision changes the firm's status through ``Firm.change_status`` (its history row
is linked to the decision): admitted → ``admitted`` with ``admission_expires_on`` = the
decision's ``valid_until`` (default: today + the questionnaire's ``validity_days``); banned →
``banned`` with the category and both people; a re-assessment that ends rejected → the firm is
``suspended`` (it may not keep working on an admission it no longer has; a first application
that ends rejected changes no firm). A first application admitted or banned creates the firm
(or takes the one with its credit code), and an admitted one invites the contact person as the
firm's first manager (``lms.accounts.onboarding.invitations``): accepting lands them on the
firm dashboard, ``/firm/``. The outcome is emailed to the contact person of a first
application, and to the firm's active managers for a re-assessment (the contact email there is
copied from the last application and may be stale): the conclusion, the validity and the
conditions with their due dates, never the reasons, the override reason or reviewer names
(those are internal and may name individuals).

Each step is an ``admission.decided`` event in the audit log, in the step's transaction
(:func:`record_decision`): proposed, taken effect (at once or confirmed) or declined, with the
firm's ``firm.status_changed`` event before it when the decision changes the firm. The reasons
(free text that may name people) go to the event's personal part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import Firm, FirmStatus, Membership, MembershipRole, User
from lms.accounts.onboarding import invitations
from lms.accounts.tasks import send_email
from lms.auditlog import chain

from .access import conflict_of_interest, is_reviewer
from .models import (
    Application,
    ApplicationStatus,
    Conclusion,
    Condition,
    Decision,
    DecisionState,
    ReviewKind,
)
from .reassessment import manager_recipients
from .scoring import score_application

DECIDABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
ADMITTING = (Conclusion.ADMITTED, Conclusion.CONDITIONAL)
EMAIL_TEMPLATES = "admission/email"


@dataclass(frozen=True)
class ConditionSpec:
    """A condition of an admission as the reviewer writes it."""

    text: str
    due_on: date


def check_reviewer(user: User, application: Application) -> None:
    """Raise ``PermissionDenied`` (with the conflict as its message) unless ``user`` may decide."""
    if not is_reviewer(user):
        raise PermissionDenied(_("Only admission reviewers decide applications."))
    conflict = conflict_of_interest(user, application)
    if conflict:
        raise PermissionDenied(conflict)


def default_valid_until(application: Application) -> date:
    """The default and latest expiry of an admission decided today."""
    return timezone.localdate() + timedelta(days=application.questionnaire.validity_days)


# --- Deciding -----------------------------------------------------------------------------------


def decide(
    application: Application,
    *,
    by: User,
    conclusion: str,
    reasons: str,
    ban_category: str = "",
    conditions: Iterable[ConditionSpec] = (),
    override_blocker: bool = False,
    override_reason: str = "",
    valid_until: date | None = None,
) -> Decision:
    """Record ``by``'s conclusion on ``application`` (rules in the module docstring).

    Raises ``PermissionDenied`` for someone who may not decide it and ``ValidationError`` (every
    problem at once) for a decision the rules refuse; nothing is written then.
    """
    check_reviewer(by, application)
    conditions = [ConditionSpec(c.text.strip(), c.due_on) for c in conditions if c.text.strip()]
    today = timezone.localdate()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status not in DECIDABLE:
            raise ValidationError(
                _("This application cannot be decided now (it is %(status)s).")
                % {"status": application.get_status_display()},
                code="status",
            )
        result = score_application(application)
        errors: list[ValidationError] = []
        if not reasons.strip():
            errors.append(ValidationError(_("Give the reasons for the decision."), "reasons"))
        if conclusion not in Conclusion.values:
            errors.append(ValidationError(_("Choose a conclusion."), "conclusion"))
        overrides = False
        if conclusion in ADMITTING:
            if not result.complete:
                errors.append(
                    ValidationError(
                        _("Score every judgement question before admitting."), "incomplete"
                    )
                )
            if result.blockers:
                if not override_blocker:
                    errors.append(
                        ValidationError(
                            _(
                                "A blocker answer forbids admission. Override it (with a reason) "
                                "only if you are sure; a second reviewer must confirm."
                            ),
                            "blocker",
                        )
                    )
                elif not override_reason.strip():
                    errors.append(
                        ValidationError(_("Say why the blocker answer is overridden."), "override")
                    )
                else:
                    overrides = True
            if (
                result.total is not None
                and result.total < application.questionnaire.conditional_score
            ):
                errors.append(
                    ValidationError(
                        _(
                            "The total score %(score)s is below the threshold for admission "
                            "(%(threshold)s): reject the application instead."
                        )
                        % {
                            "score": result.total,
                            "threshold": application.questionnaire.conditional_score,
                        },
                        "below_threshold",
                    )
                )
            latest = default_valid_until(application)
            if valid_until is not None and valid_until <= today:
                errors.append(
                    ValidationError(_("The admission must be valid beyond today."), "valid_until")
                )
            elif valid_until is not None and valid_until > latest:
                errors.append(
                    ValidationError(
                        _(
                            "An admission is valid for at most %(days)s days: choose "
                            "%(latest)s or earlier."
                        )
                        % {
                            "days": application.questionnaire.validity_days,
                            "latest": formats.date_format(latest, "DATE_FORMAT"),
                        },
                        "valid_until",
                    )
                )
        elif override_blocker:
            errors.append(
                ValidationError(_("Only an admission can override a blocker."), "override")
            )
        if conclusion == Conclusion.CONDITIONAL:
            if not conditions:
                errors.append(ValidationError(_("List at least one condition."), "conditions"))
            if any(c.due_on <= today for c in conditions):
                errors.append(
                    ValidationError(_("Each condition must be due after today."), "conditions")
                )
            expires = valid_until or default_valid_until(application)
            if any(c.due_on > expires for c in conditions):
                errors.append(
                    ValidationError(
                        _(
                            "Each condition must be due by the end of the admission "
                            "(%(valid_until)s)."
                        )
                        % {"valid_until": formats.date_format(expires, "DATE_FORMAT")},
                        "conditions",
                    )
                )
        elif conditions:
            errors.append(
                ValidationError(
                    _("Only an admission with conditions has conditions."), "conditions"
                )
            )
        if conclusion == Conclusion.BANNED and not ban_category:
            errors.append(ValidationError(_("Choose why the firm is banned."), "ban_category"))
        if conclusion != Conclusion.BANNED and ban_category:
            errors.append(ValidationError(_("Only a ban has a category."), "ban_category"))
        if conclusion in ADMITTING and application.review_kind == ReviewKind.INITIAL:
            problem = _invitation_problem(application)
            if problem:
                errors.append(ValidationError(problem, "contact"))
        if errors:
            raise ValidationError(errors)

        admitting = conclusion in ADMITTING
        decision = Decision(
            application=application,
            conclusion=conclusion,
            reasons=reasons.strip(),
            ban_category=ban_category,
            overrides_blocker=overrides,
            override_reason=override_reason.strip() if overrides else "",
            score=result.total,
            section_scores=result.snapshot(),
            valid_until=(valid_until or default_valid_until(application)) if admitting else None,
            proposed_by=by,
        )
        try:
            with transaction.atomic():
                decision.save()
        except IntegrityError as error:  # another reviewer decided it at the same moment
            raise ValidationError(
                _("Another decision on this application is already waiting or in effect."),
                code="conflict",
            ) from error
        Condition.objects.bulk_create(
            Condition(decision=decision, text=c.text, due_on=c.due_on) for c in conditions
        )
        if application.reviewer_id is None:
            application.reviewer = by
        if decision.needs_second_person:
            application.status = ApplicationStatus.AWAITING_CONFIRMATION
            application.save(update_fields=["status", "reviewer", "updated_at"])
            record_decision(decision, application, step="proposed", by=by)
        else:
            _take_effect(decision, application, confirmed_by=None)
            record_decision(decision, application, step="decided", by=by)
    return decision


def confirm(decision: Decision, *, by: User) -> Decision:
    """A second reviewer confirms a proposed decision: it takes effect."""
    with transaction.atomic():
        decision = _proposed(decision, by)
        decision.confirmed_by = by
        decision.confirmed_at = timezone.now()
        _take_effect(decision, decision.application, confirmed_by=by)
        record_decision(decision, decision.application, step="confirmed", by=by)
    return decision


def decline(decision: Decision, *, by: User, reason: str) -> Decision:
    """A second reviewer declines a proposed decision: it lapses and the application is back
    under review, where any reviewer may decide again."""
    if not reason.strip():
        raise ValidationError(_("Say why you decline the decision."), code="reason")
    with transaction.atomic():
        decision = _proposed(decision, by)
        decision.state = DecisionState.DECLINED
        decision.confirmed_by = by
        decision.confirmed_at = timezone.now()
        decision.declined_reason = reason.strip()
        decision.save(update_fields=["state", "confirmed_by", "confirmed_at", "declined_reason"])
        application = decision.application
        application.status = ApplicationStatus.UNDER_REVIEW
        application.save(update_fields=["status", "updated_at"])
        record_decision(decision, application, step="declined", by=by)
    return decision


def _proposed(decision: Decision, by: User) -> Decision:
    """The decision, locked, if ``by`` may act on it as the second reviewer."""
    decision = (
        Decision.objects.select_for_update().select_related("application").get(pk=decision.pk)
    )
    check_reviewer(by, decision.application)
    if decision.state != DecisionState.PROPOSED:
        raise ValidationError(_("This decision no longer waits for a second reviewer."), "state")
    if decision.proposed_by_id == by.pk:
        raise ValidationError(
            _("Another reviewer must confirm or decline a decision you proposed."),
            code="two_person_rule",
        )
    return decision


def record_decision(
    decision: Decision, application: Application, *, step: str, by: User | None
) -> None:
    """The ``admission.decided`` event of one step of ``decision``, in the caller's transaction.

    ``step``: ``proposed`` (waits for a second reviewer), ``decided`` (took effect at once),
    ``confirmed`` (the second reviewer made it effective) or ``declined``. The subject is the
    decision, labelled with the credit code and the application's number (not the firm's name:
    a sole trader's may be a person's); the firm concerned is the application's (none for a
    first application rejected: no firm exists).
    """
    conditions = list(decision.conditions.order_by("pk"))
    chain.record(
        "admission.decided",
        subject=decision,
        subject_label=f"{application.credit_code} #{application.pk}",
        actor=by,
        firms=[application.firm] if application.firm_id else [],
        payload={
            "step": step,
            "decision": decision.pk,
            "application": application.pk,
            "review_kind": application.review_kind,
            "credit_code": application.credit_code,
            "conclusion": decision.conclusion,
            "state": decision.state,
            "score": decision.score,
            "overrides_blocker": decision.overrides_blocker,
            "ban_category": decision.ban_category,
            "valid_until": decision.valid_until,
            "conditions": [{"id": c.pk, "due_on": c.due_on} for c in conditions],
            "proposed_by": decision.proposed_by_id,
            "proposed_at": decision.proposed_at,
            "confirmed_by": decision.confirmed_by_id,
            "status_change": decision.status_change_id,
        },
        personal={
            "reasons": decision.reasons,
            "override_reason": decision.override_reason,
            "declined_reason": decision.declined_reason,
            "conditions": [c.text for c in conditions],
        },
    )


def mark_condition_met(
    condition: Condition, *, by: User, met_on: date | None = None, note: str = ""
) -> Condition:
    """Record that a condition of an admission in effect was met, when and (optionally) how,
    and ``admission.condition_met`` in the audit log (the condition's text, free text, goes in
    its personal part)."""
    with transaction.atomic():
        condition = (
            Condition.objects.select_for_update()
            .select_related("decision__application")
            .get(pk=condition.pk)
        )
        check_reviewer(by, condition.decision.application)
        if condition.decision.state != DecisionState.EFFECTIVE:
            raise ValidationError(_("The admission is not in effect."), code="state")
        if condition.met_on is not None:
            raise ValidationError(_("This condition is already marked as met."), code="met")
        met_on = met_on or timezone.localdate()
        if met_on > timezone.localdate():
            raise ValidationError(_("A condition cannot be met in the future."), code="met_on")
        condition.met_on = met_on
        condition.met_by = by
        condition.note = note.strip()
        condition.save(update_fields=["met_on", "met_by", "note"])
        application = condition.decision.application
        chain.record(
            "admission.condition_met",
            subject=condition,
            subject_label=f"{application.credit_code} #{application.pk}",
            actor=by,
            firms=[application.firm] if application.firm_id else [],
            payload={
                "condition": condition.pk,
                "decision": condition.decision_id,
                "application": application.pk,
                "firm": application.firm_id,
                "due_on": condition.due_on,
                "met_on": condition.met_on,
            },
            personal={"condition": condition.text, "note": condition.note},
        )
    return condition


# --- The effect ---------------------------------------------------------------------------------

FIRM_STATUS: dict[str, str] = {
    Conclusion.ADMITTED: FirmStatus.ADMITTED,
    Conclusion.CONDITIONAL: FirmStatus.ADMITTED,
    Conclusion.BANNED: FirmStatus.BANNED,
}


def _take_effect(decision: Decision, application: Application, *, confirmed_by: User | None):
    """Make ``decision`` effective: the firm's status, the application's, the invitation and
    the outcome email. Runs inside the caller's transaction."""
    conclusion = decision.conclusion
    firm = application.firm or Firm.objects.filter(credit_code=application.credit_code).first()
    target: str | None = FIRM_STATUS.get(conclusion)
    if conclusion == Conclusion.REJECTED and application.review_kind == ReviewKind.REASSESSMENT:
        target = FirmStatus.SUSPENDED
    if target is not None and firm is None:
        firm = Firm.objects.create(
            name=application.firm_name,
            credit_code=application.credit_code,
            kind=application.firm_kind,
        )
    if target is not None and firm is not None:
        reason = _("Admission review, application %(number)s: %(conclusion)s. %(reasons)s") % {
            "number": application.pk,
            "conclusion": decision.get_conclusion_display(),
            "reasons": decision.reasons,
        }
        decision.status_change = firm.change_status(
            target,
            by=decision.proposed_by,
            reason=reason,
            confirmed_by=confirmed_by,
            category=decision.ban_category,
            **({"admission_expires_on": decision.valid_until} if conclusion in ADMITTING else {}),
        )
    decision.state = DecisionState.EFFECTIVE
    decision.save()
    application.firm = firm
    application.status = conclusion  # the application statuses carry the conclusions' values
    application.save(update_fields=["firm", "status", "reviewer", "updated_at"])
    invited = False
    if (
        conclusion in ADMITTING
        and application.review_kind == ReviewKind.INITIAL
        and firm is not None
        and not firm.active_members().filter(role=MembershipRole.MANAGER).exists()
    ):
        invitations.invite(
            firm,
            email=application.contact_email,
            by=decision.proposed_by,
            legal_name=application.contact_name,
            phone=application.contact_phone,
            role=MembershipRole.MANAGER,
        )
        invited = True
    _send_outcome(decision, application, invited=invited)


def _invitation_problem(application: Application) -> str | None:
    """Why the contact person could not be invited as the firm's first manager, if anything."""
    firm = application.firm or Firm.objects.filter(credit_code=application.credit_code).first()
    if firm is None:
        # A firm yet to be created: only a current membership elsewhere stands in the way.
        email = invitations.normalise_email(application.contact_email)
        today = timezone.localdate()
        elsewhere = (
            Membership.objects.filter(user__email=email).exclude(active_to__lt=today).exists()
        )
        problem = (
            _("%(email)s is an active member of another firm.") % {"email": email}
            if elsewhere
            else None
        )
    elif firm.active_members().filter(role=MembershipRole.MANAGER).exists():
        return None  # the firm has a manager already: nobody is invited
    else:
        problems = invitations.screen(firm, [(application.contact_email, "")])[0]
        problem = next((p.message for p in problems if p.is_error), None)
    if problem is None:
        return None
    return _(
        "The contact person cannot become the firm's first manager: %(problem)s Correct the "
        "contact person before admitting."
    ) % {"problem": problem}


def outcome_recipients(application: Application) -> list[str]:
    """Who is told the outcome: the contact person of a first application; for a
    re-assessment, the firm's active managers (the copied contact email may be stale)."""
    if application.review_kind == ReviewKind.REASSESSMENT and application.firm is not None:
        return [user.email for user in manager_recipients(application.firm)]
    return [application.contact_email]


def _send_outcome(decision: Decision, application: Application, *, invited: bool) -> None:
    """Email the outcome (conclusion, validity, conditions; no reasons) in the platform's
    language, after commit, to :func:`outcome_recipients`."""
    recipients = outcome_recipients(application)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "application": application,
            "decision": decision,
            "conditions": list(decision.conditions.all()),
            "invited": invited,
            "to_managers": application.review_kind == ReviewKind.REASSESSMENT,
        }
        subject = render_to_string(f"{EMAIL_TEMPLATES}/outcome_subject.txt", context)
        body = render_to_string(f"{EMAIL_TEMPLATES}/outcome_body.txt", context)
    send_email.delay_on_commit(  # type: ignore[attr-defined]
        subject=" ".join(subject.split()), body=body, to=recipients
    )
