"""Files the site writes itself land in the private bucket: the monthly compliance report
(rendered by WeasyPrint in a task, emailed, kept for the record)."""

from __future__ import annotations

import pytest

from lms.compliance import monthly_report
from lms.compliance.models import MonthlyReport
from lms.compliance.tasks.reports import send_monthly_report
from tests.compliance.dashboard_factories import make_manager
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db


def test_the_monthly_report_pdf_is_kept_in_the_private_bucket(object_storage):
    firm = FirmFactory(name="阳光资产管理有限公司")
    make_manager("boss@agency.example", "赵经理", firm)
    month = monthly_report.previous_month()
    send_monthly_report(firm.pk, month.isoformat())
    report = MonthlyReport.objects.get(firm=firm, month=month)
    assert report.pdf.name.startswith("compliance/reports/")
    assert object_storage.keys(object_storage.private_bucket) == [report.pdf.name]
    assert object_storage.keys(object_storage.media_bucket) == []
    stored = object_storage.body(object_storage.private_bucket, report.pdf.name)
    assert stored.startswith(b"%PDF-")
