"""Deciding who has earned a certificate, and issuing it exactly once.

Eligibility is checked when a collector passes an exam and when they finish a course, inside the
transaction that records that fact, and the outcome is an :class:`IssuanceRequest` row. The
certificate itself is made by :func:`issue` (run by the ``issue_certificate`` Celery task, which
``receivers`` queue after the transaction commits): under the request's row lock, so duplicate
deliveries and retries find the work done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from stdnum.iso7064 import mod_37_36

from courses.cpd import cycle_progress
from courses.models import CoursePage, Enrolment
from exams.models import Attempt, ExamPage

from . import audit, basis, openbadges, signals, updates
from .models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
)
from .status_list import random_free_index

logger = logging.getLogger(__name__)

SERIAL_PREFIX = "SSA"
# A request not finished this long after it was last dispatched is dispatched again by the sweep
# (the broker lost it, or the worker died and the message was not redelivered).
REDISPATCH_AFTER = timedelta(minutes=10)


def make_serial(number: int, year: int) -> str:
    """``SSA-2026-000123-K``: readable, with an ISO 7064 MOD 37,36 check character so a
    mistyped serial is caught before anyone looks it up."""
    body = f"{year}{number:06d}"
    return f"{SERIAL_PREFIX}-{year}-{number:06d}-{mod_37_36.calc_check_digit(body)}"


def is_valid_serial(serial: str) -> bool:
    parts = serial.strip().upper().split("-")
    if len(parts) != 4 or parts[0] != SERIAL_PREFIX:
        return False
    return mod_37_36.is_valid(parts[1] + parts[2] + parts[3])


# --- Eligibility --------------------------------------------------------------------------------


def courses_completed(user, courses: QuerySet[CoursePage] | list[CoursePage]) -> bool:
    """Whether ``user`` has completed every course given (an empty list counts as done)."""
    wanted = {course.pk for course in courses}
    if not wanted:
        return True
    done = set(
        Enrolment.objects.filter(
            user=user, course_id__in=wanted, completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )
    return wanted <= done


def current_certificate(user, programme: CertificationProgramme, now: datetime):
    """The holder's valid, unexpired certificate for the programme, if any."""
    return (
        Certificate.objects.filter(
            holder=user, programme=programme, status=CertificateStatus.VALID, expires_at__gt=now
        )
        .select_related("programme")
        .first()
    )


def cpd_hours_met(user, programme: CertificationProgramme, now: datetime) -> bool:
    """Whether ``user`` has the CPD hours ``programme`` requires to renew on ``now``'s Beijing
    day (total and offline, in the cycle of ``courses.cpd``); true when it requires none."""
    if not programme.cpd_hours_required:
        return True
    return cycle_progress(user, programme, timezone.localdate(now)).met


def suspended_certificate(user, programme: CertificationProgramme, now: datetime):
    """The holder's suspended, unexpired certificate for the programme, if any. While there is
    one, nothing is issued for the programme: a suspension is not a lapse, and passing the exam
    again must not get around it (only reinstatement, or a legal-update refresh, ends it)."""
    return Certificate.objects.filter(
        holder=user, programme=programme, status=CertificateStatus.SUSPENDED, expires_at__gt=now
    ).first()


def request_if_eligible(
    user, programme: CertificationProgramme, now: datetime | None = None
) -> IssuanceRequest | None:
    """Record an issuance request if ``user`` has just become eligible; otherwise None.

    First certification: every required course completed and the final exam passed. Renewal:
    a valid certificate inside its renewal window, the refresher course completed, the CPD
    hours of the cycle ending today (when the programme requires any) and the renewal exam
    passed inside the window. Neither while the holder's certificate of the
    programme is suspended. Call it inside the transaction that recorded the pass or the
    completion; the caller (``receivers``) dispatches it to Celery after that commits.
    """
    now = now or timezone.now()
    if not programme.is_active:
        return None
    if suspended_certificate(user, programme, now) is not None:
        return None
    if IssuanceRequest.objects.filter(
        holder=user, programme=programme, completed_at__isnull=True
    ).exists():
        return None
    current = current_certificate(user, programme, now)
    if current is None:
        if not courses_completed(user, programme.required_courses.all()):
            return None
        kind, exam, since = IssuanceKind.INITIAL, programme.final_exam, None
    else:
        if not current.in_renewal_window(now):
            return None
        refresher = programme.refresher_course  # no query when there is none
        if refresher is not None and not courses_completed(user, [refresher]):
            return None
        if not cpd_hours_met(user, programme, now):
            return None
        window = timedelta(days=programme.renewal_window_days)
        kind, exam = IssuanceKind.RENEWAL, programme.renewal_exam_or_final
        since = current.expires_at - window
    attempt = _unused_pass(user, exam, since)
    if attempt is None:
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent request loses the race cleanly
            request = IssuanceRequest.objects.create(
                holder=user,
                programme=programme,
                attempt=attempt,
                kind=kind,
                renews=current if kind == IssuanceKind.RENEWAL else None,
                created_at=now,
            )
    except IntegrityError:
        return None
    return request


def _unused_pass(user, exam: ExamPage, since: datetime | None) -> Attempt | None:
    """The user's latest passing attempt at ``exam`` that has not earned a certificate yet."""
    attempts = Attempt.objects.filter(
        user=user, exam=exam, passed=True, issuance_request__isnull=True
    )
    if since is not None:
        attempts = attempts.filter(submitted_at__gte=since)
    return attempts.order_by("-submitted_at").first()


def on_exam_passed(attempt: Attempt) -> list[IssuanceRequest]:
    """Called in the grading transaction of a passing attempt (``exams.signals.exam_passed``)."""
    programmes = CertificationProgramme.objects.filter(is_active=True).filter(
        _exam_filter(attempt.exam_id)
    )
    return [
        request
        for programme in programmes
        if (request := request_if_eligible(attempt.user, programme)) is not None
    ]


def on_course_completed(user, course: CoursePage) -> list[IssuanceRequest]:
    """Called when a user first completes every lesson of a course, in that transaction
    (``courses.signals.course_completed``)."""
    programmes = CertificationProgramme.objects.filter(is_active=True).filter(
        Q(required_courses=course) | Q(refresher_course=course)
    )
    return [
        request
        for programme in programmes.distinct()
        if (request := request_if_eligible(user, programme)) is not None
    ]


def _exam_filter(exam_id: int):
    return Q(final_exam_id=exam_id) | Q(renewal_exam_id=exam_id)


# --- Pending requests and issuance ---------------------------------------------------------------


def pending_requests(now: datetime | None = None) -> QuerySet[IssuanceRequest]:
    """Open requests never dispatched, or dispatched long enough ago to count as lost."""
    now = now or timezone.now()
    return IssuanceRequest.objects.filter(completed_at__isnull=True).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    )


def issue(request_id: int, now: datetime | None = None) -> Certificate | None:
    """Turn a request into its certificate, with the PDF, in one transaction.

    Idempotent: a request already completed returns its certificate. A renewal supersedes the
    certificate it renews; one that was revoked meanwhile is not renewed (the request is
    closed without a certificate and the reason recorded). A legal-update refresh is issued by
    :func:`updates.refresh`, under the same lock and in the same transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            # Only the request's row: PostgreSQL refuses FOR UPDATE on the nullable side of the
            # outer join to the attempt (a refresh has none).
            IssuanceRequest.objects.select_for_update(of=("self",))
            .select_related("programme", "holder", "attempt")
            .get(pk=request_id)
        )
        if request.completed_at is not None:
            return Certificate.objects.filter(request=request).first()
        if request.kind == IssuanceKind.REFRESH:
            return updates.refresh(request, now, build=build_certificate)
        programme, holder = request.programme, request.holder
        # A certificate past its expiry that the daily job has not marked yet would block the
        # one-valid-certificate constraint. (Read first: the common case writes nothing here,
        # and the certificate's row is then the transaction's first write to the table.)
        stale = list(
            Certificate.objects.filter(
                holder=holder,
                programme=programme,
                status=CertificateStatus.VALID,
                expires_at__lte=now,
            ).values_list("pk", flat=True)
        )
        stale_expired: list[Certificate] = []
        if stale:
            Certificate.objects.filter(pk__in=stale).update(
                status=CertificateStatus.EXPIRED, status_changed_at=now
            )
            stale_expired = list(Certificate.objects.filter(pk__in=stale))
            for expired in stale_expired:
                transaction.on_commit(
                    partial(
                        signals.certificate_status_changed.send,
                        Certificate,
                        certificate=expired,
                        status=CertificateStatus.EXPIRED,
                    )
                )
        start = now
        renewed, renewed_from = None, ""
        if request.kind == IssuanceKind.RENEWAL and request.renews_id:
            renewed = Certificate.objects.select_for_update().get(pk=request.renews_id)
            if renewed.status in (CertificateStatus.REVOKED, CertificateStatus.SUSPENDED):
                request.completed_at = now
                request.last_error = f"The certificate to renew is {renewed.status}."
                request.save(update_fields=["completed_at", "last_error"])
                return None
            start = max(now, renewed.expires_at)  # renewing early loses no days
            renewed_from = renewed.status
            Certificate.objects.filter(pk=renewed.pk).update(
                status=CertificateStatus.SUPERSEDED, status_changed_at=now
            )
        # Every kind but a legal-update refresh has its passing attempt (a check constraint);
        # the refresh path (updates.refresh) keeps the renewed certificate's score.
        assert request.attempt is not None
        score = request.attempt.percent
        assert score is not None  # the passing attempt was graded
        certificate = build_certificate(
            request, score=score, expires_at=programme.expiry_after(start), now=now
        )
        basis.record_basis(certificate, request)
        if renewed is not None:
            Certificate.objects.filter(pk=renewed.pk).update(superseded_by=certificate)
        request.completed_at = now
        request.save(update_fields=["completed_at"])
        transaction.on_commit(
            lambda: signals.certificate_issued.send(Certificate, certificate=certificate)
        )
        if renewed is not None:
            transaction.on_commit(
                lambda: signals.certificate_status_changed.send(
                    Certificate, certificate=renewed, status=CertificateStatus.SUPERSEDED
                )
            )
        _record_issue(request, certificate, stale_expired, renewed, renewed_from, now)
    return certificate


def _record_issue(
    request: IssuanceRequest,
    certificate: Certificate,
    stale_expired: list[Certificate],
    renewed: Certificate | None,
    renewed_from: str,
    now: datetime,
) -> None:
    """The audit events of :func:`issue`, last in its transaction: the stale certificates it
    marked expired, the certificate issued, and the one a renewal supersedes."""
    firms = audit.holder_firms([request.holder_id], now).get(request.holder_id, [])
    for expired in stale_expired:
        audit.record_certificate(
            "certificate.expired",
            expired,
            now=now,
            firms=firms,
            payload={"from_status": CertificateStatus.VALID, "while": "issuance"},
        )
    audit.record_issued(request, certificate, now=now, firms=firms)
    if renewed is not None:
        renewed.status, renewed.status_changed_at = CertificateStatus.SUPERSEDED, now
        renewed.superseded_by = certificate
        audit.record_superseded(renewed, renewed_from, request, now=now, firms=firms)


def build_certificate(
    request: IssuanceRequest, *, score: Decimal, expires_at: datetime, now: datetime
) -> Certificate:
    """Write the certificate ``request`` earns, with its serial and PDF, issued ``now`` (inside
    the caller's transaction, under the request's lock)."""
    holder, programme = request.holder, request.programme
    certificate = Certificate(
        request=request,
        holder=holder,
        programme=programme,
        serial=make_serial(request.pk, now.year),
        holder_name=holder.legal_name or holder.email,
        programme_name=programme.name,
        score=score,
        issued_at=now,
        expires_at=expires_at,
        status=CertificateStatus.VALID,
        status_changed_at=now,
        status_index=random_free_index(),
    )
    certificate.identity_hash = openbadges.identity_hash(holder.email, certificate.subject_salt)
    pdf = ContentFile(render(certificate))
    certificate.pdf.save(f"{certificate.serial}.pdf", pdf, save=False)
    certificate.save()
    return certificate


def render(certificate: Certificate) -> bytes:
    """The certificate's PDF, in Chinese."""
    from .pdf import CertificateDocument, render_certificate_pdf

    local_issued = timezone.localtime(certificate.issued_at).date()
    local_expiry = timezone.localtime(certificate.expires_at).date()
    return render_certificate_pdf(
        CertificateDocument(
            holder_name=certificate.holder_name,
            programme_name=certificate.programme_name,
            score_percent=certificate.score,
            issued_on=local_issued,
            expires_on=local_expiry,
            serial=certificate.serial,
            verification_url=certificate.absolute_verification_url,
        )
    )


def record_failure(request_id: int, error: BaseException) -> None:
    """Note a failed try on the request (shown in the admin), outside the failed transaction."""
    IssuanceRequest.objects.filter(pk=request_id).update(
        last_error=repr(error)[:2000], failures=F("failures") + 1
    )
