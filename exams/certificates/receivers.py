"""Signal receivers: passing an exam, finishing a course or being credited CPD hours can
complete a certification or its renewal; a new certificate is emailed to its holder and
completes the programme's assignments; closing a session, or correcting its attendance
afterwards, issues, revokes or replaces certificates of attendance.

Exams and courses send their events (``exams.signals.exam_passed``,
``courses.signals.course_completed``, and Django's ``post_save`` of a new ``CPDEntry``) inside
the transaction that records them; the issuance request is written here in that same
transaction, so it exists exactly when the grade, the completion or the hours do, and it is
queued only after that transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.signals import page_published

from content.signals import attendance_changed, session_closed
from courses.models import CPDEntry, LessonPage
from courses.signals import course_completed
from exams.signals import exam_passed, question_saved

from . import assignments, attendance, impact, signals, tasks, updates
from .issuance import on_course_completed, on_exam_passed, request_if_eligible
from .models import Certificate, CertificateStatus, CertificationProgramme, IssuanceRequest

logger = logging.getLogger(__name__)


def _dispatch_after_commit(requests: list[IssuanceRequest]) -> None:
    for request in requests:
        transaction.on_commit(partial(tasks.dispatch, request.pk))


@receiver(exam_passed, dispatch_uid="certificates.certification_on_exam_passed")
def certify_on_exam_passed(sender, *, attempt, **kwargs) -> None:
    _dispatch_after_commit(on_exam_passed(attempt))


@receiver(course_completed, dispatch_uid="certificates.certification_on_course_completed")
def certify_on_course_completed(sender, *, user, course, **kwargs) -> None:
    # Certification or renewal, and a legal-update refresh when the course is an update module.
    _dispatch_after_commit(on_course_completed(user, course))
    _dispatch_after_commit(updates.on_course_completed(user, course))


def renewals_on_cpd_credit(user, now: datetime | None = None) -> list[IssuanceRequest]:
    """The renewals new CPD hours complete: for each active programme requiring hours of which
    ``user`` holds a valid certificate inside its renewal window, ask again
    (:func:`request_if_eligible` checks everything, the hours included).

    Without this a holder who passed the renewal exam before the hours came in would stay
    stuck: the pass was checked then and refused, and nothing else asks again.
    """
    now = now or timezone.now()
    held = Certificate.objects.filter(
        holder=user,
        status=CertificateStatus.VALID,
        expires_at__gt=now,
        programme__is_active=True,
        programme__cpd_hours_required__gt=0,
    ).select_related("programme")
    programmes: dict[int, CertificationProgramme] = {
        certificate.programme_id: certificate.programme
        for certificate in held
        if certificate.in_renewal_window(now)
    }
    return [
        request
        for programme in programmes.values()
        if (request := request_if_eligible(user, programme, now)) is not None
    ]


@receiver(post_save, sender=CPDEntry, dispatch_uid="certificates.renewal_on_cpd_credit")
def renew_on_cpd_credit(sender, *, instance, created, raw=False, **kwargs) -> None:
    """A credit to the ledger (attendance, course, adjustment) may complete a renewal whose
    exam was passed earlier; a debit never does. Written in the crediting transaction and
    queued after it commits, as for a pass."""
    if created and not raw and instance.hours > 0:
        _dispatch_after_commit(renewals_on_cpd_credit(instance.user))


@receiver(
    signals.certificate_issued, dispatch_uid="certificates.complete_assignments_on_certificate"
)
def complete_assignments(sender, *, certificate, **kwargs) -> None:
    """Sent after the issuing transaction commits; the update is idempotent, so a repeated
    signal changes nothing. Connected before ``lms.compliance``'s rating receiver (the app comes
    first in ``INSTALLED_APPS``), so the recompute sees the assignment completed."""
    assignments.complete_for_certificate(certificate)


@receiver(signals.certificate_issued, dispatch_uid="certificates.email_issued_certificate")
def email_certificate_on_issue(sender, *, certificate, **kwargs) -> None:
    """Queue the email with the PDF. A broker outage must never break issuance: the hourly
    sweep sends it later, and the holder can download it from "My certificates" meanwhile."""
    try:
        tasks.email_issued_certificate.delay(certificate.pk)
    except Exception:  # noqa: BLE001 — any broker (or, when eager, mail) failure
        logger.warning("Could not queue the email for certificate %s", certificate.pk)


@receiver(page_published, sender=LessonPage, dispatch_uid="certificates.update_tasks_on_publish")
def close_lesson_tasks(sender, *, instance, revision, **kwargs) -> None:
    """A published lesson may have been updated for a change in the law (impact.py decides)."""
    impact.close_lesson_tasks(instance, revision)


@receiver(question_saved, dispatch_uid="certificates.update_tasks_on_question_saved")
def close_question_tasks(sender, *, question, user, **kwargs) -> None:
    """A question saved in the admin may have been updated for a change in the law."""
    impact.close_question_tasks(question, by=user)


@receiver(session_closed, dispatch_uid="certificates.attendance_on_session_closed")
def certify_attendance_on_session_closed(sender, *, session, **kwargs) -> None:
    """Sent in the transaction that closes a session: queue its certificates of attendance
    after it commits, when the event gives them (the task checks again, under locks)."""
    if attendance.wants_certificates(session):
        transaction.on_commit(partial(tasks.dispatch_attendance, session.pk))


@receiver(attendance_changed, dispatch_uid="certificates.attendance_on_correction")
def follow_attendance_correction(sender, *, registration, change, **kwargs) -> None:
    """Sent in the transaction that changes an attendance: a correction after closing revokes
    the certificate of attendance there and then; a new one (other hours, or attended after
    all) is queued after it commits."""
    if attendance.follow_correction(registration, change):
        transaction.on_commit(partial(tasks.dispatch_attendance, registration.session_id))
