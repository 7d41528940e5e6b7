"""The monthly compliance report: one A4 PDF per firm, emailed to its managers on the 1st.

Why it exists: a firm's managers answer to their own compliance officers and regulators, who
want a dated document rather than a live dashboard. The figures come from the dashboard's own
roster query (:mod:`lms.compliance.dashboard.roster`), so the PDF and the dashboard agree; they
describe the firm as it stands when the report is made, plus the findings of the month
reported. Phone numbers are masked; names are shown in full, since only the firm's own
managers receive it.

Chinese text uses the certificate's subset font (see :mod:`lms.lib.fonts`): the
system Noto CJK collection follows in ``font-family`` for any character outside the subset.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import Firm, Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.lib.fonts import FONTS_DIR, font_face_css

from .dashboard.roster import (
    RosterFilters,
    RosterRow,
    Summary,
    apply_filters,
    base_roster,
    firm_scope,
    requirements,
    summarise,
    to_row,
)
from .models import Finding, FindingStatus, Severity

TEMPLATE = "compliance/report/monthly.html"


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(today: date | None = None) -> date:
    """The first day of the month before ``today`` (the month a report run on the 1st covers)."""
    return month_start(today or timezone.localdate()) - relativedelta(months=1)


@dataclass(frozen=True)
class MonthlyReportData:
    """What the report shows."""

    firm: Firm
    month: date
    generated_at: datetime
    summary: Summary
    findings: int  # confirmed findings that occurred in the month
    findings_by_severity: dict[str, int] = field(default_factory=dict)
    rows: list[RosterRow] = field(default_factory=list)

    @property
    def month_end(self) -> date:
        return self.month + relativedelta(months=1, days=-1)


def build(firm: Firm, month: date, now: datetime | None = None) -> MonthlyReportData:
    """Gather the report's figures: a handful of queries whatever the firm's size."""
    now = now or timezone.now()
    scope = firm_scope(firm)
    needs = requirements()
    base = base_roster(scope, needs=needs)
    month_end = month + relativedelta(months=1, days=-1)
    counts = dict(
        Finding.objects.filter(
            firm=firm,
            status=FindingStatus.CONFIRMED,
            occurred_on__gte=month,
            occurred_on__lte=month_end,
        )
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_severity = {severity: counts.get(severity, 0) for severity in Severity.values}
    # The whole roster, ordered by name: the report has no filters.
    ordered = apply_filters(base, RosterFilters(), scope)
    rows = [to_row(membership, scope, needs) for membership in ordered]
    return MonthlyReportData(
        firm=firm,
        month=month,
        generated_at=now,
        summary=summarise(base),
        findings=sum(by_severity.values()),
        findings_by_severity=by_severity,
        rows=rows,
    )


def render_html(report: MonthlyReportData, language: str | None = None) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        severity_labels = dict(Severity.choices)
        return render_to_string(
            TEMPLATE,
            {
                "report": report,
                "month_label": formats.date_format(report.month, "YEAR_MONTH_FORMAT"),
                "generated_on": formats.date_format(
                    timezone.localtime(report.generated_at), "DATE_FORMAT"
                ),
                "severities": [
                    (severity_labels[key], count)
                    for key, count in report.findings_by_severity.items()
                ],
                "language_tag": translation.to_language(translation.get_language()),
            },
        )


def render_pdf(report: MonthlyReportData, language: str | None = None) -> bytes:
    """The report as PDF bytes (WeasyPrint; A4 portrait)."""
    from weasyprint import HTML

    font_config, fonts, url_fetcher = _assets()
    return HTML(string=render_html(report, language), url_fetcher=url_fetcher).write_pdf(
        stylesheets=[fonts], font_config=font_config
    )


_local = threading.local()


def _assets():
    """This thread's WeasyPrint font configuration, @font-face sheet and URL fetcher, built
    once: decoding the shipped fonts costs more than laying out a report. Not shared between
    threads (WeasyPrint does not document them as thread-safe). The fetcher reads local files
    only: the report loads nothing else, whatever a firm or collector is called."""
    assets = getattr(_local, "assets", None)
    if assets is None:
        from weasyprint import CSS, URLFetcher
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        url_fetcher = URLFetcher(allowed_protocols=("file",), fail_on_errors=True)
        fonts = CSS(
            string=font_face_css(),
            base_url=FONTS_DIR.as_uri() + "/",
            font_config=font_config,
            url_fetcher=url_fetcher,
        )
        assets = _local.assets = (font_config, fonts, url_fetcher)
    return assets


@atexit.register
def _release_assets() -> None:
    """Free the main thread's font configuration while the interpreter can still finalise it."""
    _local.__dict__.pop("assets", None)


def filename(report: MonthlyReportData) -> str:
    return f"compliance-report-{report.firm.credit_code}-{report.month:%Y-%m}.pdf"


def manager_recipients(firm: Firm) -> list[User]:
    """The firm's active managers with the manager role and an active account."""
    manager_ids = Membership.objects.active().filter(firm=firm, role=MembershipRole.MANAGER)
    return list(
        User.objects.filter(
            pk__in=manager_ids.values("user_id"),
            is_active=True,
            groups__name=Role.FIRM_MANAGER,
        )
        .exclude(email="")
        .order_by("email")
        .distinct()
    )


def email(report: MonthlyReportData, pdf: bytes, recipients: list[User]) -> EmailMessage:
    """The email carrying the report, in the site's default language (as the PDF is)."""
    with translation.override(settings.LANGUAGE_CODE):
        month_label = formats.date_format(report.month, "YEAR_MONTH_FORMAT")
        subject = _("Compliance report for %(firm)s, %(month)s") % {
            "firm": report.firm.name,
            "month": month_label,
        }
        body = render_to_string(
            "compliance/report/monthly_email.txt",
            {
                "report": report,
                "month_label": month_label,
                "dashboard_url": settings.SITE_BASE_URL.rstrip("/") + reverse("dashboard:roster"),
            },
        )
    message = EmailMessage(subject=subject, body=body, to=[user.email for user in recipients])
    message.attach(filename(report), pdf, "application/pdf")
    return message
