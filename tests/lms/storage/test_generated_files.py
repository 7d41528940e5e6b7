"""Files the site writes itself land in the private bucket: the monthly compliance report
(rendered by WeasyPrint in a task, emailed, kept for the record); earlier ones are moved there."""

from __future__ import annotations

import uuid
from importlib import import_module

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

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


def test_the_migration_moves_earlier_report_pdfs_out_of_the_public_media_folder():
    # Local folders, as the test settings have them: where earlier reports were written.
    migration = import_module("lms.compliance.migrations.0009_monthly_report_private_storage")
    name = f"compliance/reports/2026/report-{uuid.uuid4().hex}.pdf"
    assert default_storage.save(name, ContentFile(b"%PDF-1.7 old")) == name
    MonthlyReport.objects.create(
        firm=FirmFactory(), month=monthly_report.previous_month(), pdf=name
    )
    migration.move_to_private_storage(apps, None)
    assert not default_storage.exists(name)
    with storages["private"].open(name, "rb") as moved:
        assert moved.read() == b"%PDF-1.7 old"
    storages["private"].delete(name)


def test_a_rerun_of_the_migration_deletes_public_copies_an_interrupted_run_left_behind():
    # An earlier run copied these to private storage, then stopped before deleting them.
    migration = import_module("lms.compliance.migrations.0009_monthly_report_private_storage")
    private = storages["private"]
    copied = f"compliance/reports/2026/report-{uuid.uuid4().hex}.pdf"
    differs = f"compliance/reports/2026/report-{uuid.uuid4().hex}.pdf"
    for name in (copied, differs):
        assert default_storage.save(name, ContentFile(b"%PDF-1.7 public")) == name
        MonthlyReport.objects.create(
            firm=FirmFactory(), month=monthly_report.previous_month(), pdf=name
        )
    assert private.save(copied, ContentFile(b"%PDF-1.7 public")) == copied
    assert private.save(differs, ContentFile(b"%PDF-1.7 something else")) == differs
    migration.move_to_private_storage(apps, None)
    assert not default_storage.exists(copied)
    with private.open(copied, "rb") as kept:
        assert kept.read() == b"%PDF-1.7 public"
    # Another file under the same name: both are left for a person to look at.
    assert default_storage.exists(differs)
    with private.open(differs, "rb") as kept:
        assert kept.read() == b"%PDF-1.7 something else"
    for name in (copied, differs):
        private.delete(name)
    default_storage.delete(differs)
