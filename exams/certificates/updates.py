"""Update modules: after a change in the law, holders retrain, are refreshed or are suspended.

A trainer attaches an :class:`UpdateModule` (a short "what changed" course) to a programme for
one :class:`content.RegulationChange`. Once its course is live:

* every holder of an affected certificate is emailed once (:func:`notify_holders`; the
  ``UpdateNotice`` row is claimed before the email is queued);
* completing the course writes a refresh :class:`IssuanceRequest` in the completion's
  transaction (:func:`on_course_completed`), and the ``issue_certificate`` task turns it into
  a refreshed certificate (:func:`refresh`, called by ``issuance.issue``): same expiry and
  score, the new basis, the old certificate superseded — a suspended one ends its suspension;
* after the module's deadline, certificates still on the old basis are suspended
  (:func:`suspend_overdue`, daily).

A certificate is *affected* while it is valid (or suspended for this very module) and its
basis still holds the version or wording the change replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from content.models import Regulation
from courses.models import CoursePage
from lms.accounts.tasks import send_email

from . import basis, emails, signals
from .affected import certificates_on_old_basis, text_digest
from .models import (
    Certificate,
    CertificateBasis,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    IssuanceRequest,
    UpdateModule,
    UpdateNotice,
)
from .suspension import SuspensionError, end_suspension, suspend

logger = logging.getLogger(__name__)

AFFECTED_STATUSES = (CertificateStatus.VALID, CertificateStatus.SUSPENDED)


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
        certificates_on_old_basis(module.change, statuses=AFFECTED_STATUSES)
        .filter(programme_id=module.programme_id, expires_at__gt=now)
        .filter(Q(status=CertificateStatus.VALID) | _suspended_for(module))
    )


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
    """The update each of ``certificates`` still needs, keyed by certificate id.

    One query for the live modules and one per live module (a handful at most), whatever the
    number of certificates. Where two modules reach one certificate, the earlier deadline wins.
    """
    now = now or timezone.now()
    found: dict[int, PendingUpdate] = {}
    for module in live_modules():
        deadline = module.effective_deadline
        assert deadline is not None  # the course is live
        rows = (
            affected_certificates(module, now)
            .filter(pk__in=certificates.values("pk"))
            .values_list("pk", "status")
        )
        for pk, status in rows:
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
        message = emails.update_required(certificate, module, deadline)
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
    """Suspend every valid certificate still on the old basis of a module whose deadline has
    passed (the deadline day itself still counts); returns how many were suspended.

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
        reason = _suspension_reason(module, deadline)
        due = affected_certificates(module, now).filter(status=CertificateStatus.VALID)
        for certificate in due:
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
    if old.status not in AFFECTED_STATUSES:
        refusal = f"The certificate to refresh is {old.status}."
    elif old.expires_at <= now:
        refusal = "The certificate to refresh has expired."
    if refusal:
        request.completed_at, request.last_error = now, refusal
        request.save(update_fields=["completed_at", "last_error"])
        return None
    was_suspended = old.status == CertificateStatus.SUSPENDED
    if was_suspended:
        end_suspension(old, outcome=CertificateSuspension.Outcome.REFRESHED, now=now)
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
    return certificate


def record_refreshed_basis(
    certificate: Certificate, old: Certificate, module: UpdateModule
) -> None:
    """The refreshed certificate's legal basis: the old one with the changed version replaced
    by the new one (a correction: the same row with the corrected text's digest), plus the
    articles the update course's live lessons cite."""
    change = module.change
    digests = dict(old.basis_entries.values_list("regulation_id", "text_digest"))
    digests.pop(change.old_id, None)
    digests[change.new_id] = text_digest(change.new_text)
    for regulation in Regulation.objects.filter(pk__in=course_citations(module.course)):
        digests.setdefault(regulation.pk, text_digest(regulation.text))
    CertificateBasis.objects.bulk_create(
        CertificateBasis(certificate=certificate, regulation_id=pk, text_digest=digest)
        for pk, digest in digests.items()
    )


def course_citations(course: CoursePage) -> set[int]:
    """Ids of the articles the course's live lessons cite (Wagtail's reference index)."""
    return basis.cited_by_lessons(Q(pk=course.pk))
