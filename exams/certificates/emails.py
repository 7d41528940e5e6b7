"""The emails certificate holders get: issued (with the PDF), expiring soon, revoked, asked to
complete a legal update, suspended and reinstated.

Each is rendered in the recipient's preferred language from the templates under
``certificates/email/``. Reminders and revocation notices are returned as the plain
keyword arguments ``lms.accounts.tasks.send_email`` takes (they survive the broker's JSON);
the issuance email carries an attachment, so it is an ``EmailMessage`` sent by its own task.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from lms.accounts.tasks import send_email

from .models import Certificate, CertificateSuspension, UpdateModule

TEMPLATES = "certificates/email"


def _absolute(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def _day(moment: datetime) -> str:
    """A date as the active language writes it (2026年11月28日 / Nov. 28, 2026)."""
    return formats.date_format(timezone.localtime(moment).date(), "DATE_FORMAT")


def _render(name: str, user, context: dict) -> tuple[str, str]:
    """(subject, body) of template ``name`` in ``user``'s language."""
    with translation.override(getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE):
        context = {
            **context,
            "user": user,
            "my_certificates_url": _absolute(reverse("certificates:mine")),
        }
        for key in ("issued_at", "expires_at", "revoked_at", "suspended_at"):
            if isinstance(context.get(key), datetime):
                context[f"{key}_day"] = _day(context[key])
        subject = render_to_string(f"{TEMPLATES}/{name}_subject.txt", context)
        body = render_to_string(f"{TEMPLATES}/{name}_body.txt", context)
    return " ".join(subject.split()), body


def _context(certificate: Certificate) -> dict:
    return {
        "certificate": certificate,
        "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at,
        "verification_url": certificate.absolute_verification_url,
    }


def issued_certificate(certificate: Certificate) -> EmailMessage:
    """The new certificate, with its PDF attached as ``<serial>.pdf``. Reads the PDF file."""
    holder = certificate.holder
    subject, body = _render("issued", holder, _context(certificate))
    message = EmailMessage(subject=subject, body=body, to=[holder.email])
    with certificate.pdf.open("rb") as pdf:
        message.attach(f"{certificate.serial}.pdf", pdf.read(), "application/pdf")
    return message


def expiry_reminder(certificate: Certificate, user, days: int, now: datetime) -> dict:
    """ "Your certificate expires in N days": what to do to renew, and by when."""
    programme = certificate.programme
    renewal_opens = certificate.expires_at - timedelta(days=programme.renewal_window_days)
    days_left = (
        timezone.localtime(certificate.expires_at).date() - timezone.localtime(now).date()
    ).days
    context = {
        **_context(certificate),
        "days": days,
        "days_left": max(days_left, 0),
        "renewal_open": renewal_opens <= now,
        "refresher_course": programme.refresher_course,
        "renewal_exam": programme.renewal_exam_or_final,
    }
    subject, body = _render("reminder", user, context)
    return {"subject": subject, "body": body, "to": [user.email]}


def revocation_notice(certificate: Certificate) -> dict:
    """The holder learns their certificate was revoked, when and why."""
    holder = certificate.holder
    context = {**_context(certificate), "revoked_at": certificate.revoked_at}
    subject, body = _render("revoked", holder, context)
    return {"subject": subject, "body": body, "to": [holder.email]}


def update_required(certificate: Certificate, module: UpdateModule, deadline: date) -> dict:
    """ "The law changed: complete the update course by <date>", with the course's link."""
    holder = certificate.holder
    course_url = module.course.url or "/"  # relative with one site: reads the site root
    context = {
        **_context(certificate),
        "module": module,
        "change": module.change,
        "course_url": course_url if "://" in course_url else _absolute(course_url),
        "deadline_day": formats.date_format(deadline, "DATE_FORMAT"),
    }
    subject, body = _render("update_required", holder, context)
    return {"subject": subject, "body": body, "to": [holder.email]}


def suspension_notice(certificate: Certificate, suspension: CertificateSuspension) -> dict:
    """The holder learns their certificate is suspended, since when, why (the category only:
    an auditor's free text may name others) and how it comes back."""
    holder = certificate.holder
    module = suspension.update_module
    course_url = (module.course.url or "/") if module else ""
    context = {
        **_context(certificate),
        "suspended_at": suspension.started_at,
        "category": suspension.get_category_display(),
        "law_change": suspension.category == CertificateSuspension.Category.LAW_CHANGE,
        "module": module,
        "course_url": course_url if "://" in course_url or not module else _absolute(course_url),
    }
    subject, body = _render("suspended", holder, context)
    return {"subject": subject, "body": body, "to": [holder.email]}


def reinstatement_notice(certificate: Certificate) -> dict:
    """The holder learns their suspended certificate is valid again."""
    holder = certificate.holder
    subject, body = _render("reinstated", holder, _context(certificate))
    return {"subject": subject, "body": body, "to": [holder.email]}


def send_on_commit(message: dict) -> None:
    """Queue ``message`` (``send_email``'s keyword arguments) once the transaction commits."""
    # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
    send_email.delay_on_commit(**message)  # type: ignore[attr-defined]
