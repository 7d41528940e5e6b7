"""Certificates of attendance: issued when a session is closed, exactly once per attendance,
and revoked (and replaced) when the attendance is corrected afterwards.

``content.signals.session_closed`` is sent inside the transaction that closes a session; the
receiver (``receivers``) queues :func:`issue_for_session` as a Celery task after that commits
when the event page asks for certificates of attendance. The task issues one certificate per
attended or partly attended registration that has none in force, each in its own transaction
under the registration's row lock, with its PDF rendered in that transaction: a retry, a
duplicate delivery or a second closing signal finds the work done (and a partial unique
constraint makes a second certificate in force impossible), and a worker killed mid-render
leaves neither a duplicate nor a certificate without its PDF. The hourly sweep
(:func:`sessions_missing_certificates`) makes up for a lost broker message.

A trainer can still correct attendance after closing. ``content.signals.attendance_changed``
(sent in the correcting transaction, the registration locked) runs :func:`follow_correction`:
a certificate whose attendance is gone (no-show) or now worth other hours is revoked in that
same transaction, so ``/verify/`` never vouches for hours the ledger no longer has; when the
person still attended (or attended after all), a new certificate is issued by the same task
after the correction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from stdnum.iso7064 import mod_37_36

from content.models import ATTENDANCE_STATES, EventSession, Registration, RegistrationChange

from . import audit
from .models import AttendanceCertificate

logger = logging.getLogger(__name__)

SERIAL_PREFIX = "SSAA"  # Sunshine Academy Attendance; certifications use SSA
# A closed session still missing certificates this long after closing is issued again by the sweep.
SWEEP_AFTER = timedelta(minutes=10)


def make_serial(number: int, year: int) -> str:
    """``SSAA-2026-000123-K``: like a certification's serial, with its own prefix, and a
    MOD 37,36 check character so a mistyped serial is caught before anyone looks it up."""
    body = f"{year}{number:06d}"
    return f"{SERIAL_PREFIX}-{year}-{number:06d}-{mod_37_36.calc_check_digit(body)}"


def is_valid_serial(serial: str) -> bool:
    parts = serial.strip().upper().split("-")
    if len(parts) != 4 or parts[0] != SERIAL_PREFIX:
        return False
    return mod_37_36.is_valid(parts[1] + parts[2] + parts[3])


def wants_certificates(session: EventSession) -> bool:
    """Whether the session's event gives certificates of attendance (its live page says so)."""
    return session.page.attendance_certificates


def in_force() -> QuerySet[AttendanceCertificate]:
    """Certificates not revoked: at most one per registration."""
    return AttendanceCertificate.objects.filter(revoked_at__isnull=True)


def _uncertified_attendances() -> QuerySet[Registration]:
    """Attended or partly attended registrations without a certificate in force."""
    return Registration.objects.filter(state__in=ATTENDANCE_STATES).exclude(
        Exists(in_force().filter(registration=OuterRef("pk")))
    )


def pending_registrations(session: EventSession) -> QuerySet[Registration]:
    """The session's attendances that have no certificate in force yet."""
    return _uncertified_attendances().filter(session=session)


def issue_for_session(session_id: int, now: datetime | None = None) -> list[AttendanceCertificate]:
    """Issue the missing certificates of a closed session; returns those issued now.

    Nothing for a session not closed, or whose event does not give certificates.
    """
    session = EventSession.objects.select_related("page").get(pk=session_id)
    if session.closed_at is None or not wants_certificates(session):
        return []
    issued = []
    for registration_id in pending_registrations(session).values_list("pk", flat=True):
        certificate = issue_for_registration(registration_id, now)
        if certificate is not None:
            issued.append(certificate)
    return issued


def issue_for_registration(
    registration_id: int, now: datetime | None = None
) -> AttendanceCertificate | None:
    """Issue the registration's certificate, with its PDF, in one transaction; None if it has
    one in force already or is not (any more) an attendance.

    The serial numbers the certificate itself (its row), so a replacement after a correction
    gets a serial of its own."""
    now = now or timezone.now()
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("session__page", "user")
            .get(pk=registration_id)
        )
        if in_force().filter(registration=registration).exists():
            return None
        if registration.state not in ATTENDANCE_STATES:
            return None
        session, user = registration.session, registration.user
        certificate = AttendanceCertificate(
            registration=registration,
            holder=user,
            holder_name=user.legal_name or user.email,
            event_title=session.page.title,
            session_start=session.start,
            session_end=session.end,
            place=_place(session),
            hours=registration.credited_hours,
            issued_at=now,
        )
        # Saved first for its number; nobody sees the placeholder outside this transaction.
        certificate.serial = f"pending-{certificate.verification_code}"
        certificate.save()
        certificate.serial = make_serial(certificate.pk, timezone.localtime(now).year)
        certificate.pdf.save(
            f"{certificate.serial}.pdf", ContentFile(render(certificate)), save=False
        )
        certificate.save(update_fields=["serial", "pdf"])
        audit.record_certificate(
            "certificate.issued",
            certificate,
            now=now,
            payload={
                "session_id": session.pk,
                "hours": certificate.hours,
                "registration_state": registration.state,
            },
        )
    return certificate


def follow_correction(
    registration: Registration, change: RegistrationChange, now: datetime | None = None
) -> bool:
    """Keep the registration's certificate true to its attendance after ``change``; returns
    whether a (new) certificate is now due, to be issued after the change commits.

    Called from ``attendance_changed`` inside the changing transaction, the registration
    locked by the caller. The certificate in force is revoked — with the change's reason — when
    the registration is no longer an attendance, or when the hours it is credited with differ
    from those printed. A new one is due when the registration is (still, or again) an
    attendance of a closed session of an event that gives certificates and has none in force.
    Before closing there is nothing to do: certificates are issued only on closing.
    """
    session = registration.session
    if session.closed_at is None:
        return False
    current = in_force().select_for_update().filter(registration=registration).first()
    attended = registration.state in ATTENDANCE_STATES
    if current is not None:
        if attended and current.hours == registration.credited_hours:
            return False
        current.revoked_at = now = now or timezone.now()
        current.revocation_reason = change.reason
        current.save(update_fields=["revoked_at", "revocation_reason"])
        audit.record_certificate(
            "certificate.revoked",
            current,
            now=now,
            actor=change.actor,  # who corrected the attendance (None: the request's user)
            payload={
                "revoked_at": now,
                "hours": current.hours,
                "registration_state": registration.state,
                "credited_hours": registration.credited_hours,
                "registration_change_id": change.pk,
            },
            personal={"reason": change.reason},
        )
        logger.info("Certificate of attendance %s revoked after a correction", current.serial)
    return attended and wants_certificates(session)


def replacement(certificate: AttendanceCertificate) -> AttendanceCertificate | None:
    """For a revoked certificate, the one in force for the same attendance, if any."""
    if certificate.revoked_at is None:
        return None
    return in_force().filter(registration_id=certificate.registration_id).first()


def _place(session: EventSession) -> str:
    """The venue, or "online" (the meeting link is not something to print)."""
    from django.utils import translation
    from django.utils.translation import gettext

    if session.offline:
        return session.venue
    with translation.override("zh-hans"):
        return gettext("Online")


def session_label(certificate: AttendanceCertificate) -> str:
    """``2026年12月14日 14:00–17:00 · 国际会议中心 3 楼`` (Beijing time)."""
    start = timezone.localtime(certificate.session_start)
    end = timezone.localtime(certificate.session_end)
    when = f"{date_format(start.date(), 'DATE_FORMAT')} {start:%H:%M}–{end:%H:%M}"
    return f"{when} · {certificate.place}" if certificate.place else when


def render(certificate: AttendanceCertificate) -> bytes:
    """The certificate of attendance's PDF, in Chinese, through the certificate renderer."""
    from django.utils import translation

    from .pdf import ATTENDANCE, CertificateDocument, render_certificate_pdf

    with translation.override("zh-hans"):
        label = session_label(certificate)
    return render_certificate_pdf(
        CertificateDocument(
            holder_name=certificate.holder_name,
            programme_name=certificate.event_title,
            score_percent=None,
            issued_on=timezone.localtime(certificate.issued_at).date(),
            expires_on=None,
            serial=certificate.serial,
            verification_url=certificate.absolute_verification_url,
            variant=ATTENDANCE,
            session_label=label,
            hours=certificate.hours,
        )
    )


def sessions_missing_certificates(now: datetime | None = None) -> list[int]:
    """Closed sessions of events giving certificates that still have attendances without one
    some time after closing (a lost broker message): the sweep issues them again."""
    now = now or timezone.now()
    candidates = EventSession.objects.filter(
        Exists(_uncertified_attendances().filter(session=OuterRef("pk"))),
        closed_at__lt=now - SWEEP_AFTER,
        page__attendance_certificates=True,
    ).values_list("pk", flat=True)
    return list(candidates)
