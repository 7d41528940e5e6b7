"""Emails to the applicant's contact person: their secret link, and a receipt on submit.

Applicants have no account (and so no preferred language): the emails are written in the
language the applicant was using on the site when they were sent. Sent after the transaction
commits, through the retrying ``send_email`` task.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from lms.accounts.tasks import send_email

from .models import Application

EMAIL_TEMPLATES = "admission/email"


def _send(template: str, application: Application, **context: object) -> None:
    values = {
        "application": application,
        "resend_url": settings.SITE_BASE_URL.rstrip("/") + reverse("admission:resend_link"),
        **context,
    }
    subject = render_to_string(f"{EMAIL_TEMPLATES}/{template}_subject.txt", values)
    body = render_to_string(f"{EMAIL_TEMPLATES}/{template}_body.txt", values)
    # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
    send_email.delay_on_commit(  # type: ignore[attr-defined]
        subject=" ".join(subject.split()), body=body, to=[application.contact_email]
    )


def send_link(application: Application, url: str, *, first: bool) -> None:
    """The link to come back to the application (``first``: it was just started)."""
    _send("link", application, url=url, first=first)


def send_receipt(application: Application) -> None:
    """The application was submitted; the link already sent shows its status."""
    _send("receipt", application)
