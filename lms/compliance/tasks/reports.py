"""Compliance tasks: the monthly compliance report emailed to each firm's managers."""

from __future__ import annotations

import smtplib
from datetime import date

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from lms.accounts.models import Firm, FirmStatus, Membership, MembershipRole

from .. import monthly_report
from ..models import MonthlyReport

REPORTED_STATUSES = (FirmStatus.ADMITTED, FirmStatus.SUSPENDED)


@shared_task
def send_monthly_reports(month: str | None = None) -> int:
    """Queue one report per admitted or suspended firm that has active managers (beat: the 1st
    of each month, for the month before). Safe to run twice: each firm's task sends once.

    ``month`` is an ISO date within the month to report; returns how many firms were queued.
    """
    first_day = (
        monthly_report.month_start(date.fromisoformat(month))
        if month
        else monthly_report.previous_month()
    )
    managed = Membership.objects.active().filter(role=MembershipRole.MANAGER)
    sent = MonthlyReport.objects.filter(firm=OuterRef("pk"), month=first_day, sent_at__isnull=False)
    firm_ids = list(
        Firm.objects.filter(status__in=REPORTED_STATUSES, pk__in=managed.values("firm_id"))
        .exclude(Exists(sent))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for firm_id in firm_ids:
        send_monthly_report.delay(firm_id, first_day.isoformat())
    return len(firm_ids)


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=60 * 60,
    max_retries=8,
)
def send_monthly_report(firm_id: int, month: str) -> bool:
    """Render one firm's report for ``month`` (the first day, ISO) and email it to the firm's
    active managers, exactly once.

    The (firm, month) row is locked while the PDF is made and sent, and marked sent in the same
    transaction: a second delivery of this task, or a second run of the beat job, finds it
    sent and does nothing. A mail failure rolls the row back and the task retries. Returns
    whether an email went out.
    """
    first_day = date.fromisoformat(month)
    firm = Firm.objects.filter(pk=firm_id).first()
    if firm is None:
        return False
    report, _created = MonthlyReport.objects.get_or_create(firm=firm, month=first_day)
    if report.sent_at is not None:
        return False
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        if report.sent_at is not None:
            return False
        recipients = monthly_report.manager_recipients(firm)
        if not recipients:
            return False
        data = monthly_report.build(firm, first_day)
        pdf = monthly_report.render_pdf(data)
        report.pdf.save(monthly_report.filename(data), ContentFile(pdf), save=False)
        monthly_report.email(data, pdf, recipients).send()
        report.sent_at = timezone.now()
        report.recipients = [user.email for user in recipients]
        report.save(update_fields=["pdf", "sent_at", "recipients"])
    return True
