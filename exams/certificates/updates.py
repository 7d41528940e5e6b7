"""Update modules: after a change in the law, holders retrain, are refreshed or are suspended.

A trainer attaches an :class:`UpdateModule` (a short "what changed" course) to a programme for
one :class:`content.RegulationChange`. Once its course is live:

* every holder of an affected certificate is emailed once (:func:`notify_holders`; the
  ``UpdateNotice`` row is claimed before the email is queued);
* completing the course writes a refresh :class:`IssuanceRequest` in the completion's
  transaction (:func:`on_course_completed`), and the ``issue_certificate`` task turns it into
  a refreshed certificate (:func:`refresh`, called by ``issuance.issue``): same expiry and
  score, the new basis, the old certificate superseded — a suspended one ends its suspension;
* a holder who completed the course without a refresh being requested (another request was
  open, the course was done before the module went live, the certificate was suspended for
  another reason then) gets one from the sweep (:func:`request_missed_refreshes`);
* after the deadline, certificates still on the old basis are suspended
  (:func:`suspend_overdue`, daily). Each certificate has its own deadline
  (:func:`deadline_for`): the module's, or a full period after its issuance if later.

A certificate is *affected* while it is valid (or suspended for this very module) and its
basis still holds the version or wording the change replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from content.models import Regulation, RegulationChange
from courses.models import CoursePage, Enrolment
from lms.accounts.tasks import send_email

from . import audit, basis, emails, signals
from . import suspension as suspension_service
from .affected import certificates_on_old_basis, text_digest
from .models import (
    HELD_STATUSES,
    Certificate,
    CertificateBasis,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    IssuanceRequest,
    UpdateModule,
    UpdateNotice,
)
from .models.law_change import DEFAULT_UPDATE_DAYS
from .suspension import SuspensionError, end_suspension, suspend

logger = logging.getLogger(__name__)

# --- Which modules and certificates ------------------------------------------------------------


def live_modules() -> list[UpdateModule]:
    """Modules whose course is live (holders can be asked to take it), one query."""
    return list(
        UpdateModule.objects.filter(course__live=True).select_related(
            "programme", "course", "change__old", "change__new"
        )
    )


def _suspended_for(module: UpdateModule):
    return Exists(
        CertificateSuspension.objects.filter(
            certificate=OuterRef("pk"), ended_at__isnull=True, update_module=module
        )
    )


def affected_certificates(module: UpdateModule, now: datetime | None = None):
    """The programme's unexpired certificates still on the basis ``module.change`` replaced:
    valid ones, and ones suspended because they missed this module's deadline."""
    now = now or timezone.now()
    return (
        certificates_on_old_basis(module.change, statuses=HELD_STATUSES)
        .filter(programme_id=module.programme_id, expires_at__gt=now)
        .filter(Q(status=CertificateStatus.VALID) | _suspended_for(module))
    )


def deadline_for(module_deadline: date, issued_at: datetime) -> date:
    """One certificate's update deadline: the module's, or — for a certificate issued on the old
    basis late (after the module went live) — a full period after its issuance (local date)."""
    return max(module_deadline, timezone.localdate(issued_at) + timedelta(days=DEFAULT_UPDATE_DAYS))


def _issued_before(day: date):
    """Certificates whose own period (issuance + ``DEFAULT_UPDATE_DAYS``) ended before ``day``:
    issued before the local start of ``day - DEFAULT_UPDATE_DAYS``."""
    start = datetime.combine(day - timedelta(days=DEFAULT_UPDATE_DAYS), time.min)
    return Q(issued_at__lt=timezone.make_aware(start))


def affected_counts(modules: list[UpdateModule], now: datetime | None = None) -> dict[int, int]:
    """How many certificates each module reaches (``affected_certificates(module).count()``),
    for a page of modules in one query, keyed by module id."""
    if not modules:
        return {}
    now = now or timezone.now()
    open_for = CertificateSuspension.objects.filter(
        certificate=OuterRef("certificate_id"), ended_at__isnull=True
    ).values("update_module_id")[:1]
    rows = (
        CertificateBasis.objects.filter(
            regulation_id__in={module.change.old_id for module in modules},
            certificate__programme_id__in={module.programme_id for module in modules},
            certificate__status__in=HELD_STATUSES,
            certificate__expires_at__gt=now,
        )
        .annotate(suspended_for=Subquery(open_for))
        .values_list(
            "certificate_id",
            "certificate__programme_id",
            "regulation_id",
            "text_digest",
            "certificate__status",
            "suspended_for",
        )
    )
    reached: dict[int, set[int]] = {module.pk: set() for module in modules}
    wanted: dict[tuple[int, int], list[tuple[UpdateModule, str | None]]] = {}
    for module in modules:  # two modules may share a programme and a change
        change = module.change
        old_digest = (
            text_digest(change.old_text) if change.kind == RegulationChange.Kind.CORRECTED else None
        )
        wanted.setdefault((module.programme_id, change.old_id), []).append((module, old_digest))
    for certificate_id, programme_id, regulation_id, digest, status, suspended_for in rows:
        for module, old_digest in wanted.get((programme_id, regulation_id), ()):
            if old_digest is not None and digest != old_digest:
                continue
            if status == CertificateStatus.VALID or suspended_for == module.pk:
                reached[module.pk].add(certificate_id)
    return {pk: len(certificates) for pk, certificates in reached.items()}


@dataclass(frozen=True)
class PendingUpdate:
    """What a holder (or their manager) is shown for one certificate: the module to complete,
    by when, and whether the deadline has already passed (the certificate is suspended)."""

    module: UpdateModule
    deadline: date
    suspended: bool


def pending_updates(
    certificates: QuerySet[Certificate], now: datetime | None = None
) -> dict[int, PendingUpdate]:
    """The update each of ``certificates`` still needs, keyed by certificate id, with the
    certificate's own deadline (:func:`deadline_for`).

    One query for the live modules and one per live module (a handful at most), whatever the
    number of certificates. Where two modules reach one certificate, the earlier deadline wins.
    """
    now = now or timezone.now()
    found: dict[int, PendingUpdate] = {}
    for module in live_modules():
        module_deadline = module.effective_deadline
        assert module_deadline is not None  # the course is live
        rows = (
            affected_certificates(module, now)
            .filter(pk__in=certificates.values("pk"))
            .values_list("pk", "status", "issued_at")
        )
        for pk, status, issued_at in rows:
            deadline = deadline_for(module_deadline, issued_at)
            current = found.get(pk)
            if current is None or deadline < current.deadline:
                found[pk] = PendingUpdate(module, deadline, status == CertificateStatus.SUSPENDED)
    return found


def pending_updates_by_holder(
    user_ids: list[int], now: datetime | None = None
) -> dict[int, PendingUpdate]:
    """The earliest pending update of each of ``user_ids`` who has one (the firm roster)."""
    by_certificate = pending_updates(Certificate.objects.filter(holder_id__in=user_ids), now)
    if not by_certificate:
        return {}
    holders = Certificate.objects.filter(pk__in=by_certificate).values_list("pk", "holder_id")
    found: dict[int, PendingUpdate] = {}
    for pk, holder_id in holders:
        update = by_certificate[pk]
        current = found.get(holder_id)
        if current is None or update.deadline < current.deadline:
            found[holder_id] = update
    return found


# --- Notices -----------------------------------------------------------------------------------


def notify_holders(module: UpdateModule, now: datetime | None = None) -> int:
    """Email each holder of an affected certificate about the module, once; returns how many
    emails were queued. Nothing while the course is not live.

    The ``UpdateNotice`` row is inserted first (its unique constraint decides between
    concurrent runs) and the email queued only once that commits; if the broker is down the
    claim is released, so the next sweep sends it.
    """
    now = now or timezone.now()
    deadline = module.effective_deadline
    if deadline is None:
        return 0
    due = (
        affected_certificates(module, now)
        .exclude(update_notices__module=module)
        .select_related("holder")
    )
    queued = 0
    for certificate in due:
        own = deadline_for(deadline, certificate.issued_at)
        message = emails.update_required(certificate, module, own)
        try:
            with transaction.atomic():
                notice = UpdateNotice.objects.create(
                    module=module, certificate=certificate, sent_at=now
                )
                transaction.on_commit(partial(_queue_notice, notice.pk, message))
        except IntegrityError:
            continue  # a concurrent run claimed it first
        queued += 1
    return queued


def _queue_notice(notice_id: int, message: dict) -> None:
    try:
        send_email.delay(**message)
    except Exception:  # noqa: BLE001 — any broker failure: the next sweep sends it
        logger.warning("Could not queue update notice %s; will retry", notice_id)
        UpdateNotice.objects.filter(pk=notice_id).delete()


def notify_all(now: datetime | None = None) -> int:
    """The sweep: notify the holders of every live module not yet told; returns emails queued."""
    return sum(notify_holders(module, now) for module in live_modules())


# --- Suspension after the deadline -------------------------------------------------------------


def suspend_overdue(now: datetime | None = None) -> int:
    """Suspend every valid certificate still on the old basis of a module whose deadline — the
    certificate's own (:func:`deadline_for`) — has passed (the deadline day itself still
    counts); returns how many were suspended. A certificate with an open refresh request is
    left alone: the worker is about to refresh it. One query per overdue module.

    Each suspension is its own transaction under the certificate's row lock (``suspension``),
    so a second run, or a holder refreshed in between, changes nothing.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    suspended = 0
    for module in live_modules():
        deadline = module.effective_deadline
        if deadline is None or deadline >= today:
            continue
        due = (
            affected_certificates(module, now)
            .filter(_issued_before(today), status=CertificateStatus.VALID)
            .exclude(_refresh_open())
        )
        for certificate in due:
            reason = _suspension_reason(module, deadline_for(deadline, certificate.issued_at))
            try:
                suspend(
                    certificate,
                    category=CertificateSuspension.Category.LAW_CHANGE,
                    reason=reason,
                    module=module,
                    now=now,
                )
            except SuspensionError:
                continue  # refreshed, expired or revoked since it was read
            suspended += 1
    return suspended


def overdue_update(certificate: Certificate, now: datetime | None = None) -> PendingUpdate | None:
    """The live update module whose deadline ``certificate`` (whatever its status) has missed,
    if any — the earliest. One query for the modules and one per module of its programme."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    missed: PendingUpdate | None = None
    for module in live_modules():
        if module.programme_id != certificate.programme_id:
            continue
        assert module.effective_deadline is not None  # the course is live
        deadline = deadline_for(module.effective_deadline, certificate.issued_at)
        if deadline >= today or (missed is not None and missed.deadline <= deadline):
            continue
        reached = certificates_on_old_basis(module.change, statuses=HELD_STATUSES).filter(
            pk=certificate.pk
        )
        if reached.exists():
            missed = PendingUpdate(module, deadline, True)
    return missed


def reinstate(certificate: Certificate, *, by=None, now: datetime | None = None):
    """End a certificate's suspension for another reason (an audit finding dismissed): valid
    again — unless a legal-update deadline passed meanwhile, in which case it stays suspended,
    now for that update (no status change, so nothing is announced twice)."""
    now = now or timezone.now()
    missed = None if certificate.expires_at <= now else overdue_update(certificate, now)
    if missed is None:
        return suspension_service.reinstate(certificate, by=by, now=now)
    return suspension_service.switch_to_law_change(
        certificate,
        module=missed.module,
        reason=_suspension_reason(missed.module, missed.deadline),
        by=by,
        now=now,
    )


def _refresh_open():
    """The certificate has an open refresh request (the worker is about to refresh it)."""
    return Exists(
        IssuanceRequest.objects.filter(
            renews=OuterRef("pk"), kind=IssuanceKind.REFRESH, completed_at__isnull=True
        )
    )


def _suspension_reason(module: UpdateModule, deadline: date) -> str:
    """Recorded in the platform's language (the holder's page translates the category)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext('The update course "%(course)s" was not completed by %(date)s.') % {
            "course": module.course.title,
            "date": formats.date_format(deadline, "DATE_FORMAT"),
        }


# --- Refresh: the request, and the refreshed certificate ---------------------------------------


def on_course_completed(user, course: CoursePage) -> list[IssuanceRequest]:
    """Called in the transaction that records ``user`` completing ``course``: a refresh request
    for each of their certificates an update module taught by ``course`` reaches."""
    now = timezone.now()
    requests = []
    modules = UpdateModule.objects.filter(course=course, course__live=True).select_related(
        "change__old", "change__new"
    )
    for module in modules:
        certificate = affected_certificates(module, now).filter(holder=user).first()
        if certificate is None:
            continue
        try:
            with transaction.atomic():  # a savepoint: an open request for the programme wins
                requests.append(
                    IssuanceRequest.objects.create(
                        holder=user,
                        programme_id=module.programme_id,
                        kind=IssuanceKind.REFRESH,
                        update_module=module,
                        attempt=None,
                        renews=certificate,
                        created_at=now,
                    )
                )
        except IntegrityError:
            continue
    return requests


def request_missed_refreshes(now: datetime | None = None) -> list[IssuanceRequest]:
    """The sweep behind :func:`on_course_completed`: a refresh request for each affected
    certificate whose holder has completed the module's course but has no refresh in hand
    (none open, none issued). Catches the completions the event missed — another request was
    open for the holder and programme, the course was done before the module went live, the
    certificate was suspended for another reason at the time. A holder who still has another
    request open is skipped (logged) until it closes. Two queries per live module, plus one
    insert per request."""
    now = now or timezone.now()
    written: list[IssuanceRequest] = []
    for module in live_modules():
        completed = Enrolment.objects.filter(
            user_id=OuterRef("holder_id"), course_id=module.course_id, completed_at__isnull=False
        )
        in_hand = IssuanceRequest.objects.filter(
            renews=OuterRef("pk"), update_module=module, kind=IssuanceKind.REFRESH
        ).filter(Q(completed_at__isnull=True) | Q(last_error=""))
        other_open = IssuanceRequest.objects.filter(
            holder_id=OuterRef("holder_id"),
            programme_id=module.programme_id,
            completed_at__isnull=True,
        )
        due = (
            affected_certificates(module, now)
            .filter(Exists(completed))
            .exclude(Exists(in_hand))
            .annotate(blocked=Exists(other_open))
            .order_by("pk")
        )
        for certificate in due:
            if certificate.blocked:
                logger.info(
                    "Refresh of certificate %s for update module %s skipped: another request "
                    "is open for the holder and programme",
                    certificate.pk,
                    module.pk,
                )
                continue
            try:
                with transaction.atomic():
                    written.append(
                        IssuanceRequest.objects.create(
                            holder_id=certificate.holder_id,
                            programme_id=module.programme_id,
                            kind=IssuanceKind.REFRESH,
                            update_module=module,
                            attempt=None,
                            renews=certificate,
                            created_at=now,
                        )
                    )
            except IntegrityError:
                logger.info(
                    "Refresh of certificate %s for update module %s skipped: a request was "
                    "opened concurrently",
                    certificate.pk,
                    module.pk,
                )
                continue
            logger.info(
                "Refresh of certificate %s for update module %s requested by the sweep",
                certificate.pk,
                module.pk,
            )
    return written


def refresh(
    request: IssuanceRequest, now: datetime, *, build: Callable[..., Certificate]
) -> Certificate | None:
    """Issue the refreshed certificate for a locked, open refresh ``request`` (inside
    ``issuance.issue``'s transaction): same expiry and score as the certificate it renews, the
    new basis; the old one superseded (its suspension, if any, ended as refreshed).

    A certificate that meanwhile expired, was revoked or superseded is not refreshed: the
    request is closed with the reason. ``build`` is ``issuance.build_certificate`` (passed in,
    as issuance is the module that calls this one).
    """
    assert request.update_module_id and request.renews_id  # a refresh has both (constraint)
    module = UpdateModule.objects.select_related("change__old", "change__new", "course").get(
        pk=request.update_module_id
    )
    old = Certificate.objects.select_for_update().get(pk=request.renews_id)
    refusal = None
    if old.status not in HELD_STATUSES:
        refusal = f"The certificate to refresh is {old.status}."
    elif old.expires_at <= now:
        refusal = "The certificate to refresh has expired."
    elif old.status == CertificateStatus.SUSPENDED:
        refusal = _suspension_refusal(old, request)
    if refusal:
        request.completed_at, request.last_error = now, refusal
        request.save(update_fields=["completed_at", "last_error"])
        return None
    was_suspended = old.status == CertificateStatus.SUSPENDED
    from_status = old.status
    ended = None
    if was_suspended:
        ended = end_suspension(old, outcome=CertificateSuspension.Outcome.REFRESHED, now=now)
    Certificate.objects.filter(pk=old.pk).update(
        status=CertificateStatus.SUPERSEDED, status_changed_at=now
    )
    certificate = build(request, score=old.score, expires_at=old.expires_at, now=now)
    Certificate.objects.filter(pk=old.pk).update(superseded_by=certificate)
    old.status, old.superseded_by = CertificateStatus.SUPERSEDED, certificate
    record_refreshed_basis(certificate, old, module)
    request.completed_at = now
    request.save(update_fields=["completed_at"])
    send = signals.certificate_status_changed.send
    transaction.on_commit(
        partial(signals.certificate_issued.send, Certificate, certificate=certificate)
    )
    transaction.on_commit(
        partial(send, Certificate, certificate=old, status=CertificateStatus.SUPERSEDED)
    )
    if was_suspended:  # reinstated: a valid certificate again, under its new serial
        transaction.on_commit(
            partial(send, Certificate, certificate=certificate, status=CertificateStatus.VALID)
        )
    firms = audit.holder_firms([old.holder_id], now).get(old.holder_id, [])
    audit.record_issued(request, certificate, now=now, firms=firms)
    old.status_changed_at = now
    audit.record_superseded(
        old,
        from_status,
        request,
        now=now,
        firms=firms,
        payload={"suspension_ended_id": ended.pk} if ended is not None else None,
    )
    return certificate


def _suspension_refusal(old: Certificate, request: IssuanceRequest) -> str | None:
    """A refresh ends only the suspension for its own module's deadline: one for an audit
    finding (or another module) stays, and the request is closed."""
    suspension = old.suspensions.filter(ended_at__isnull=True).first()
    if suspension is None:
        return None
    if (
        suspension.category == CertificateSuspension.Category.LAW_CHANGE
        and suspension.update_module_id == request.update_module_id
    ):
        return None
    if suspension.category == CertificateSuspension.Category.FINDING:
        return "The certificate to refresh is suspended pending an audit finding."
    return "The certificate to refresh is suspended for another update module."


def record_refreshed_basis(
    certificate: Certificate, old: Certificate, module: UpdateModule
) -> None:
    """The refreshed certificate's legal basis: the old one with the changed version replaced
    by the new one (a correction: the same row with the corrected text's digest), plus the
    articles the update course's live lessons cite.

    As at issuance (``basis.without_superseded``), a version whose successor is also covered is
    left out — an update course citing the old article beside the new one teaches the new one —
    and the version a supersession replaced never comes back."""
    change = module.change
    digests = dict(old.basis_entries.values_list("regulation_id", "text_digest"))
    digests.pop(change.old_id, None)
    digests[change.new_id] = text_digest(change.new_text)
    wanted = set(digests) | course_citations(module.course)
    if change.kind == RegulationChange.Kind.SUPERSEDED:
        wanted.discard(change.old_id)
    rows = (
        Regulation.objects.filter(pk__in=wanted)
        .order_by()
        .values_list("pk", "superseded_by", "text")
    )
    successors, texts = {}, {}
    for pk, successor, text in rows:
        successors[pk], texts[pk] = successor, text
    CertificateBasis.objects.bulk_create(
        CertificateBasis(
            certificate=certificate,
            regulation_id=pk,
            text_digest=digests.get(pk) or text_digest(texts[pk]),
        )
        for pk in sorted(basis.without_superseded(successors))
    )


def course_citations(course: CoursePage) -> set[int]:
    """Ids of the articles the course's live lessons cite (Wagtail's reference index)."""
    return basis.cited_by_lessons(Q(pk=course.pk))
