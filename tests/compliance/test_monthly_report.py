"""The monthly compliance report: its figures, the PDF, and the task that emails it once."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import FirmStatus, Membership
from lms.compliance import monthly_report
from lms.compliance.models import (
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    MonthlyReport,
    Severity,
)
from lms.compliance.tasks.reports import send_monthly_report, send_monthly_reports
from tests.exams.certificate_factories import make_programme
from tests.factories import FirmFactory

from .dashboard_factories import make_collector, make_manager, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def managers(agency):
    return [
        make_manager("boss@agency.example", "赵经理", agency),
        make_manager("deputy@agency.example", "孙副经理", agency),
    ]


@pytest.fixture
def staff(agency):
    """Four collectors: three certified (one expiring in 40 days), one not; grades A, A, B, D."""
    rows = [
        ("张小三", "13812345678", "A", "92", "valid", 300),
        ("李四", "13900001111", "A", "88", "valid", 40),
        ("王五六", "13700002222", "B", "74", "valid", 500),
        ("赵六", "13600003333", "D", "40", "expired", -10),
    ]
    people = []
    for name, phone, grade, score, status, days in rows:
        user = make_collector(agency, name, phone=phone)
        rate(user, grade=grade, score=score, certificate_status=status, expires_in_days=days)
        people.append(user)
    return people


def last_month() -> date:
    return monthly_report.previous_month()


def finding(collector, firm, occurred_on, severity=Severity.MAJOR, status=FindingStatus.CONFIRMED):
    return Finding.objects.create(
        collector=collector,
        firm=firm,
        occurred_on=occurred_on,
        source=FindingSource.FIELD_AUDIT,
        category=FindingCategory.THIRD_PARTIES,
        severity=severity,
        description="联系债务人亲属",
        status=status,
    )


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_previous_month_is_the_month_before_today():
    assert monthly_report.previous_month(date(2026, 3, 1)) == date(2026, 2, 1)
    assert monthly_report.previous_month(date(2026, 1, 31)) == date(2025, 12, 1)


def test_the_report_counts_the_firms_figures(agency, staff):
    month = last_month()
    finding(staff[3], agency, month + timedelta(days=3), Severity.CRITICAL)
    finding(staff[0], agency, month + timedelta(days=10))
    finding(staff[1], agency, month + timedelta(days=5), status=FindingStatus.OPEN)
    finding(staff[1], agency, month - timedelta(days=2))  # the month before
    ProgrammeAssignment.objects.create(
        user=staff[3],
        programme=make_programme().programme,
        firm=agency,
        due_on=timezone.localdate() - timedelta(days=1),
    )

    report = monthly_report.build(agency, month)

    assert report.summary.active == 4
    assert report.summary.certified == 3
    assert report.summary.certified_percent == 75
    assert str(report.summary.mean_score) == "73.5"
    assert report.summary.grade_counts == {"A": 2, "B": 1, "C": 0, "D": 1, "none": 0}
    assert report.summary.expiring_60 == 1
    assert report.summary.overdue_assignments == 1
    assert report.findings == 2
    assert report.findings_by_severity == {"minor": 0, "major": 1, "critical": 1}
    assert [row.name for row in report.rows] == sorted(row.name for row in report.rows)


def test_the_pdf_shows_the_firm_the_figures_and_masked_phones(agency, staff):
    month = last_month()
    finding(staff[3], agency, month + timedelta(days=3), Severity.CRITICAL)
    report = monthly_report.build(agency, month)

    pdf = monthly_report.render_pdf(report)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(value) for value in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdf_text(pdf)
    compact = "".join(text.split())
    assert "阳光资产管理有限公司" in compact
    assert agency.credit_code in compact
    assert "75%(3)" in compact  # certified share
    assert "73.5" in compact  # mean score
    assert "2/1/0/1" in compact  # grades A / B / C / D
    for name in ("张小三", "李四", "王五六", "赵六"):
        assert name in compact
    assert "138****5678" in compact
    assert "13812345678" not in compact


def test_the_task_emails_each_firms_managers_once_a_month(agency, managers, staff):
    month = last_month()
    departed = make_manager("gone@agency.example", "离任经理", agency)
    Membership.objects.filter(user=departed).update(
        active_from=timezone.localdate() - timedelta(days=100),
        active_to=timezone.localdate() - timedelta(days=1),
    )
    other = FirmFactory(name="别家催收有限公司")
    other_manager = make_manager("boss@other.example", "钱经理", other)

    assert send_monthly_reports() == 2
    assert send_monthly_reports() == 0  # the beat job firing twice sends nothing more
    send_monthly_report(agency.pk, month.isoformat())  # nor does a redelivered task

    assert len(mail.outbox) == 2
    ours = next(m for m in mail.outbox if "阳光资产管理有限公司" in m.subject)
    assert sorted(ours.to) == sorted(user.email for user in managers)
    assert departed.email not in ours.to and other_manager.email not in ours.to
    (name, content, mimetype) = ours.attachments[0]
    assert mimetype == "application/pdf"
    assert name == f"compliance-report-{agency.credit_code}-{month:%Y-%m}.pdf"
    assert "阳光资产管理有限公司" in "".join(pdf_text(content).split())

    report = MonthlyReport.objects.get(firm=agency, month=month)
    assert report.sent_at is not None
    assert sorted(report.recipients) == sorted(user.email for user in managers)
    with report.pdf.open("rb") as stored:
        assert stored.read() == content
    assert MonthlyReport.objects.filter(month=month).count() == 2


def test_a_new_month_gets_a_new_report(agency, managers, staff):
    month = last_month()
    send_monthly_reports(month=month.isoformat())
    send_monthly_reports(month=(month - timedelta(days=1)).isoformat())
    assert len(mail.outbox) == 2
    assert sorted(MonthlyReport.objects.values_list("month", flat=True)) == [
        monthly_report.month_start(month - timedelta(days=1)),
        month,
    ]


def test_pending_banned_or_managerless_firms_get_no_report(agency, staff):
    make_manager(
        "boss@pending.example", "甲", FirmFactory(name="待审公司", status=FirmStatus.PENDING)
    )
    make_manager(
        "boss@banned.example", "乙", FirmFactory(name="禁入公司", status=FirmStatus.BANNED)
    )
    suspended = FirmFactory(name="暂停公司", status=FirmStatus.SUSPENDED)
    make_manager("boss@suspended.example", "丙", suspended)

    assert send_monthly_reports() == 1  # the suspended firm; the agency has no manager
    assert [m.to for m in mail.outbox] == [["boss@suspended.example"]]


def test_a_failed_email_is_retried_later_not_lost(agency, managers, staff, monkeypatch):
    import smtplib

    from celery.exceptions import Retry

    month = last_month().isoformat()

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(Retry):
        send_monthly_report.apply(args=(agency.pk, month), throw=True)
    assert MonthlyReport.objects.get(firm=agency).sent_at is None
    monkeypatch.undo()

    assert send_monthly_report(agency.pk, month) is True
    assert len(mail.outbox) == 1


def test_beat_runs_the_report_on_the_first_of_the_month_at_six():
    entry = settings.CELERY_BEAT_SCHEDULE["send-monthly-compliance-reports"]
    assert entry["task"] == "lms.compliance.tasks.reports.send_monthly_reports"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1}
    assert (schedule.hour, schedule.minute) == ({6}, {0})
