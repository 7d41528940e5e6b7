"""Audit findings: recording, deciding, appealing (the rules; the screens call these).

* An auditor records a finding (open). Its firm is the collector's firm on the day it happened,
  filled in from their membership when the auditor leaves it empty.
* An auditor confirms or dismisses an open finding, with a note. Only confirmed findings count
  in ratings.
* The collector, or a manager of their firm, may appeal once, while the finding is open or
  confirmed; it becomes "appealed". An auditor decides: upheld → dismissed, rejected → confirmed.

* While a *critical* finding is open, an auditor may suspend the collector's valid
  certificates pending the decision (:func:`suspend_certificates`, with a reason; all of them,
  or those the auditor chose). Dismissing the finding (directly, or by upholding an appeal)
  reinstates them; confirming it (directly, or by rejecting an appeal) requires a
  :class:`Resolution` for each — revoke, with a reason, or reinstate — applied in the same
  transaction as the decision. A certificate whose legal-update deadline passed meanwhile is
  not reinstated but stays suspended, for the update (``updates.reinstate``).

Each change locks the finding's row first, so two auditors (or an auditor and an appeal) cannot
both act on the same state, and appends its audit event (``finding.recorded``,
``finding.confirmed``, ``finding.dismissed``, ``finding.appealed``, ``appeal.decided``) last, in
the same transaction: a refused or rolled-back action leaves none. Free text (description, note,
grounds) may name debtors, so it goes in the event's personal part, not its hashed facts.
After the transaction commits, ``finding_status_changed`` is sent
(ratings recompute, webhooks) and the collector is emailed when a finding is confirmed or an
appeal decided.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from exams.certificates import lifecycle, suspension, updates
from exams.certificates.models import Certificate, CertificateStatus, CertificateSuspension
from lms.accounts.models import Firm, Membership, User
from lms.accounts.tasks import send_email
from lms.auditlog import chain

from .models import Appeal, AppealOutcome, Finding, FindingStatus, FindingSuspension, Severity
from .signals import finding_status_changed

APPEALABLE = frozenset({FindingStatus.OPEN, FindingStatus.CONFIRMED})
EMAIL_TEMPLATES = "compliance/email"


class FindingError(ValidationError):
    """The action does not fit the finding's state (already decided, appealed before, ...)."""


def firm_on(collector: User, on: date) -> Firm | None:
    """The firm ``collector`` worked for on ``on`` (their membership that day), if any."""
    membership = Membership.objects.active(on).filter(user=collector).select_related("firm").first()
    return membership.firm if membership else None


def can_appeal(finding: Finding) -> bool:
    """Open or confirmed, and never appealed before. Reads ``finding.appeal``: one query unless
    it was selected with the finding."""
    if finding.status not in APPEALABLE:
        return False
    try:
        finding.appeal  # noqa: B018 — the reverse one-to-one raises when there is none
    except Appeal.DoesNotExist:
        return True
    return False


# --- Notifications ------------------------------------------------------------------------------


def _announce(finding: Finding, status: str) -> None:
    transaction.on_commit(
        lambda: finding_status_changed.send(sender=Finding, finding=finding, status=status)
    )


def _email(template: str, finding: Finding, recipients: list[User], **context: object) -> None:
    """Email each recipient in their own language, after the transaction commits."""
    for person in {user.pk: user for user in recipients}.values():
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            values = {
                "finding": finding,
                "person": person,
                "occurred_on": formats.date_format(finding.occurred_on, "DATE_FORMAT"),
                "my_findings_url": settings.SITE_BASE_URL.rstrip("/")
                + reverse(
                    "findings:mine" if person.pk == finding.collector_id else "findings:firm"
                ),
                **context,
            }
            subject = render_to_string(f"{EMAIL_TEMPLATES}/{template}_subject.txt", values)
            body = render_to_string(f"{EMAIL_TEMPLATES}/{template}_body.txt", values)
        # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
        send_email.delay_on_commit(subject=" ".join(subject.split()), body=body, to=[person.email])  # type: ignore[attr-defined]


# --- The audit trail ----------------------------------------------------------------------------


def label(finding: Finding) -> str:
    """The finding's label in the audit trail: a reference, never the collector's name (which
    ``str(finding)`` holds)."""
    return f"Finding #{finding.pk}"


def _audit(
    event_type: str,
    finding: Finding,
    *,
    by: User | None,
    facts: Mapping[str, object],
    personal: Mapping[str, object],
) -> None:
    """Append the finding's event (inside the caller's transaction, after the change)."""
    chain.record(
        event_type,
        subject=finding,
        subject_label=label(finding),
        actor=by,
        firms=[finding.firm],
        persons=[finding.collector],
        payload={
            "finding": finding.pk,
            "severity": finding.severity,
            "category": finding.category,
            "source": finding.source,
            "occurred_on": finding.occurred_on,
            "regulation": finding.regulation_id,
            "firm": finding.firm_id,
            **facts,
        },
        personal=personal,
    )


# --- Recording ----------------------------------------------------------------------------------


def record(finding: Finding, *, by: User | None) -> Finding:
    """Save a new finding (and its evidence, if attached in a form): open, recorded by ``by``,
    with the collector's firm on that day when none was given."""
    if finding.pk is not None:
        raise ValueError("record() is for new findings; edit an existing one in its form.")
    finding.status = FindingStatus.OPEN
    finding.recorded_by = by
    finding.recorded_at = timezone.now()
    with transaction.atomic():
        if finding.firm_id is None:
            finding.firm = firm_on(finding.collector, finding.occurred_on)
        stamp_evidence(finding, by=by)
        finding.save()
        _audit(
            "finding.recorded",
            finding,
            by=by,
            facts={"status": finding.status, "evidence": finding.evidence.count()},
            personal={"description": finding.description},
        )
    return finding


def stamp_evidence(finding: Finding, *, by: User | None) -> None:
    """Evidence added in a form records who uploaded it (the form does not ask)."""
    for evidence in finding.evidence.all():
        if evidence.pk is None and evidence.uploaded_by_id is None:
            evidence.uploaded_by = by


# --- Correcting an open finding -----------------------------------------------------------------

#: The facts of a finding a correction may change, as they go into the event's payload (ids and
#: codes). Free text (the description) goes into the event's personal part instead.
CORRECTABLE = ("collector", "firm", "occurred_on", "source", "category", "severity", "regulation")
CORRECTABLE_TEXT = ("description",)


def _facts(finding: Finding) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in CORRECTABLE:
        # collector_id, firm_id, regulation_id: the ids, not the related rows.
        attname = f"{name}_id" if name in {"collector", "firm", "regulation"} else name
        value = getattr(finding, attname)
        values[name] = value.isoformat() if isinstance(value, date) else value
    return values


def correct(finding: Finding, *, by: User | None) -> Finding:
    """Save the corrections made to an open finding (``finding`` is the edited, unsaved
    instance, with any evidence a form attached) and record ``finding.edited``.

    A finding is a record the collector may dispute: who changed its collector, firm, date,
    category or severity, from what to what, must be in the audit trail. Only an open finding
    may be corrected; a decided one is locked.
    """
    if finding.pk is None:
        raise ValueError("correct() is for existing findings; record() a new one.")
    with transaction.atomic():
        stored = _locked(finding)
        if stored.status != FindingStatus.OPEN:
            raise ValidationError(
                _("This finding is %(status)s and can no longer be edited.")
                % {"status": stored.get_status_display()},
                code="state",
            )
        evidence_before = stored.evidence.count()
        if finding.firm_id is None:
            finding.firm = firm_on(finding.collector, finding.occurred_on)
        stamp_evidence(finding, by=by)
        finding.status = stored.status
        finding.save()
        before, after = _facts(stored), _facts(finding)
        changed: dict[str, list[object]] = {
            name: [before[name], after[name]] for name in CORRECTABLE if before[name] != after[name]
        }
        evidence_after = finding.evidence.count()
        if evidence_after != evidence_before:
            changed["evidence"] = [evidence_before, evidence_after]
        text = {
            name: [getattr(stored, name), getattr(finding, name)]
            for name in CORRECTABLE_TEXT
            if getattr(stored, name) != getattr(finding, name)
        }
        if changed or text:
            chain.record(
                "finding.edited",
                subject=finding,
                subject_label=label(finding),
                actor=by,
                firms=[stored.firm, finding.firm],  # None (no firm) is left out
                persons=[stored.collector, finding.collector],
                payload={
                    "finding": finding.pk,
                    "changed": changed,
                    "text_changed": sorted(text),
                },
                personal={"changed": text} if text else None,
            )
    return finding


# --- Deciding -----------------------------------------------------------------------------------


def _locked(finding: Finding) -> Finding:
    return Finding.objects.select_for_update().select_related("collector").get(pk=finding.pk)


def _require_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise FindingError(_("Write a note explaining the decision."), code="note_required")
    return note


def _decide(
    finding: Finding,
    status: str,
    *,
    by: User,
    note: str,
    resolutions: Mapping[int, Resolution] | None = None,
) -> Finding:
    note = _require_note(note)
    with transaction.atomic():
        locked = _locked(finding)
        if locked.status != FindingStatus.OPEN:
            raise FindingError(
                _("Only an open finding can be confirmed or dismissed; this one is %(status)s.")
                % {"status": locked.get_status_display()},
                code="not_open",
            )
        locked.status = status
        locked.save(update_fields=["status", *locked.record_decision(by=by, note=note)])
        ended = _end_suspensions(locked, status, by=by, resolutions=resolutions)
        _audit(
            f"finding.{status}",
            locked,
            by=by,
            facts={"from": FindingStatus.OPEN, "to": status, "certificates": ended},
            personal={"note": note},
        )
        _announce(locked, status)
        if status == FindingStatus.CONFIRMED:
            _email("finding_confirmed", locked, [locked.collector], note=note)
    return locked


def confirm(
    finding: Finding,
    *,
    by: User,
    note: str,
    resolutions: Mapping[int, Resolution] | None = None,
) -> Finding:
    """The finding stands: it counts in the collector's rating from now on. Certificates
    suspended pending it need a :class:`Resolution` each in ``resolutions`` (certificate id →
    resolution), or nothing is decided."""
    return _decide(finding, FindingStatus.CONFIRMED, by=by, note=note, resolutions=resolutions)


def dismiss(finding: Finding, *, by: User, note: str) -> Finding:
    """The finding does not stand (no breach, or not this collector); certificates suspended
    pending it are reinstated."""
    return _decide(finding, FindingStatus.DISMISSED, by=by, note=note)


# --- Suspending certificates pending a critical finding -----------------------------------------


REVOKE = "revoke"
REINSTATE = "reinstate"


@dataclass(frozen=True)
class Resolution:
    """What becomes of one certificate suspended pending a finding that was confirmed."""

    action: str  # REVOKE or REINSTATE
    reason: str = ""  # required to revoke (the holder is told it)


def can_suspend(finding: Finding) -> bool:
    """Open and critical: the only findings a suspension may wait for."""
    return finding.status == FindingStatus.OPEN and finding.severity == Severity.CRITICAL


def suspendable_certificates(finding: Finding) -> list[Certificate]:
    """The collector's valid, unexpired certificates (one query)."""
    return list(
        Certificate.objects.filter(
            holder_id=finding.collector_id,
            status=CertificateStatus.VALID,
            expires_at__gt=timezone.now(),
        ).order_by("programme_name", "pk")
    )


def pending_suspensions(finding: Finding) -> list[FindingSuspension]:
    """Certificates still suspended pending ``finding`` (with their certificates; one query)."""
    return list(
        FindingSuspension.objects.filter(finding=finding, suspension__ended_at__isnull=True)
        .select_related("suspension__certificate")
        .order_by("suspension__certificate__programme_name", "pk")
    )


def suspend_certificates(
    finding: Finding,
    *,
    by: User,
    reason: str,
    certificate_ids: Collection[int] | None = None,
) -> list[FindingSuspension]:
    """Suspend the valid certificates of the finding's collector until it is decided: those in
    ``certificate_ids`` (the auditor's choice; at least one), or every one when it is None.
    Returns the new links (none when the collector holds no valid certificate; chosen ids that
    are not among them are ignored). Who may is the caller's check
    (``compliance.suspend_finding``); this enforces the state."""
    reason = reason.strip()
    if not reason:
        raise FindingError(_("Give a reason for the suspension."), code="reason_required")
    if certificate_ids is not None and not certificate_ids:
        raise FindingError(
            _("Choose at least one certificate to suspend."), code="certificates_required"
        )
    with transaction.atomic():
        locked = _locked(finding)
        if not can_suspend(locked):
            raise FindingError(
                _("Certificates can be suspended only while a critical finding is open."),
                code="not_suspendable",
            )
        links = []
        for certificate in suspendable_certificates(locked):
            if certificate_ids is not None and certificate.pk not in certificate_ids:
                continue
            try:
                opened = suspension.suspend(
                    certificate,
                    category=CertificateSuspension.Category.FINDING,
                    reason=reason,
                    by=by,
                )
            except suspension.SuspensionError:
                continue  # suspended, expired or revoked a moment ago: nothing to suspend
            if opened.category != CertificateSuspension.Category.FINDING:
                continue  # already suspended for a legal update: that suspension stands
            link, _created = FindingSuspension.objects.get_or_create(
                suspension=opened, defaults={"finding": locked}
            )
            links.append(link)
    return links


def _end_suspensions(
    finding: Finding,
    status: str,
    *,
    by: User,
    resolutions: Mapping[int, Resolution] | None,
) -> dict[str, str]:
    """Inside the deciding transaction: dismissed → reinstate every certificate suspended
    pending the finding; confirmed → apply the auditor's resolution to each. Returns what
    became of each (certificate id → ``revoke``/``reinstate``) for the decision's event."""
    pending = pending_suspensions(finding)
    if not pending:
        return {}
    # Lock every certificate concerned, in one order, before the first reinstatement or
    # revocation appends to the audit log (whose lock is held to the end of the transaction):
    # otherwise a transaction holding a later certificate could wait for that lock while this
    # one waits for the certificate.
    list(
        Certificate.objects.select_for_update()
        .filter(pk__in=[link.suspension.certificate_id for link in pending])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if status == FindingStatus.DISMISSED:
        for link in pending:
            updates.reinstate(link.suspension.certificate, by=by)
        return {str(link.suspension.certificate_id): REINSTATE for link in pending}
    resolutions = resolutions or {}
    missing = [
        link
        for link in pending
        if link.suspension.certificate_id not in resolutions
        or resolutions[link.suspension.certificate_id].action not in (REVOKE, REINSTATE)
    ]
    if missing:
        raise FindingError(
            _("Choose, for each suspended certificate, whether to revoke or reinstate it."),
            code="resolution_required",
        )
    outcome: dict[str, str] = {}
    for link in pending:
        certificate = link.suspension.certificate
        resolution = resolutions[certificate.pk]
        outcome[str(certificate.pk)] = resolution.action
        if resolution.action == REINSTATE:
            updates.reinstate(certificate, by=by)
            continue
        if not resolution.reason.strip():
            raise FindingError(
                _("Give the reason for revoking certificate %(serial)s.")
                % {"serial": certificate.serial},
                code="revocation_reason_required",
            )
        try:
            lifecycle.revoke(certificate, by=by, reason=resolution.reason)
        except lifecycle.RevocationError as error:
            raise FindingError(str(error), code="not_revocable") from error
    return outcome


# --- Appeals ------------------------------------------------------------------------------------


def appeal(finding: Finding, *, by: User, grounds: str) -> Appeal:
    """File the finding's one appeal. Who may (the collector, their manager) is the caller's
    check; this enforces the state: open or confirmed, and no appeal before."""
    grounds = grounds.strip()
    if not grounds:
        raise FindingError(_("Explain why you appeal."), code="grounds_required")
    with transaction.atomic():
        locked = _locked(finding)
        if Appeal.objects.filter(finding=locked).exists():
            raise FindingError(
                _("This finding has already been appealed; it can be appealed only once."),
                code="already_appealed",
            )
        if locked.status not in APPEALABLE:
            raise FindingError(
                _("A %(status)s finding cannot be appealed.")
                % {"status": locked.get_status_display()},
                code="not_appealable",
            )
        try:
            with transaction.atomic():
                filed = Appeal.objects.create(
                    finding=locked, appellant=by, grounds=grounds, status_before=locked.status
                )
        except IntegrityError as error:  # the one-to-one column: appealed a moment ago
            raise FindingError(
                _("This finding has already been appealed; it can be appealed only once."),
                code="already_appealed",
            ) from error
        status_before = locked.status
        locked.status = FindingStatus.APPEALED
        locked.save(update_fields=["status"])
        _audit(
            "finding.appealed",
            locked,
            by=by,
            facts={
                "appeal": filed.pk,
                "from": status_before,
                "to": FindingStatus.APPEALED,
                "appellant": filed.appellant_id,
                "by_collector": filed.appellant_id == locked.collector_id,
            },
            personal={"grounds": grounds},
        )
        _announce(locked, FindingStatus.APPEALED)
    return filed


def decide_appeal(
    finding: Finding,
    *,
    by: User,
    outcome: str,
    note: str,
    resolutions: Mapping[int, Resolution] | None = None,
) -> Appeal:
    """An auditor decides: upheld → the finding is dismissed; rejected → it is confirmed
    (certificates suspended pending it: reinstated, or resolved as in :func:`confirm`)."""
    if outcome not in AppealOutcome.values:
        raise FindingError(_("Choose whether the appeal is upheld or rejected."), code="outcome")
    note = _require_note(note)
    with transaction.atomic():
        locked = _locked(finding)
        filed = (
            Appeal.objects.select_for_update()
            .select_related("appellant")
            .filter(finding=locked)
            .first()
        )
        if locked.status != FindingStatus.APPEALED or filed is None or filed.outcome:
            raise FindingError(
                _("This finding has no appeal waiting for a decision."), code="no_pending_appeal"
            )
        now = timezone.now()
        filed.outcome = outcome
        filed.save(update_fields=["outcome", *filed.record_decision(by=by, note=note, at=now)])
        status = (
            FindingStatus.DISMISSED if outcome == AppealOutcome.UPHELD else FindingStatus.CONFIRMED
        )
        locked.status = status
        locked.save(update_fields=["status", *locked.record_decision(by=by, note=note, at=now)])
        ended = _end_suspensions(locked, status, by=by, resolutions=resolutions)
        _audit(
            "appeal.decided",
            locked,
            by=by,
            facts={
                "appeal": filed.pk,
                "outcome": outcome,
                "from": FindingStatus.APPEALED,
                "to": status,
                "certificates": ended,
            },
            personal={"note": note},
        )
        _announce(locked, status)
        _email(
            "appeal_decided",
            locked,
            [locked.collector, filed.appellant],
            appeal=filed,
            upheld=outcome == AppealOutcome.UPHELD,
            note=note,
        )
    return filed
