"""Roster exports: CSV and XLSX with the page's filters and masking, logged per unmasked row."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from lms.accounts.models import FirmKind
from lms.compliance.models import PersonalDataAccess
from tests.factories import FirmFactory

from .dashboard_factories import contract, make_collector, make_manager, rate

CSV_URL = reverse("dashboard:export_csv")
XLSX_URL = reverse("dashboard:export_xlsx")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def boss(agency):
    return make_manager("boss@agency.example", "赵经理", agency)


@pytest.fixture
def staff(agency):
    first = make_collector(agency, "张小三", phone="13812345678", employee_number="A-001")
    rate(first, grade="A", score="91.5", expires_in_days=20)
    second = make_collector(agency, "李四", phone="+8613900001111", employee_number="A-002")
    rate(second, grade="C", score="58", expires_in_days=300)
    return first, second


def download(client, user, url, **params):
    """The export, read to its end as a browser would (both formats stream): the file is in
    ``response.body``."""
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    response.body = b"".join(response.streaming_content)
    return response


def read_csv(response) -> list[list[str]]:
    content = response.body
    assert content.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_csv_lists_the_roster_with_masked_phones(client, agency, boss, staff):
    response = download(client, boss, CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows[0][:5] == ["Name", "Employee number", "Firm", "Phone (masked)", "Certificate"]
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == {"张小三", "李四"}
    zhang = body["张小三"]
    assert zhang[1:5] == ["A-001", "阳光资产管理有限公司", "138****5678", "Valid"]
    expected_expiry = timezone.localtime(timezone.now() + timedelta(days=20)).date()
    assert zhang[5] == expected_expiry.isoformat()
    assert (zhang[6], zhang[7]) == ("91.50", "A")
    # A phone with +86 would start a formula in Excel: neutralised, still masked.
    assert body["李四"][3] == "'+86139****1111"
    assert "13812345678" not in response.body.decode("utf-8-sig")


def test_the_filename_names_the_firm_and_the_date(client, agency, boss, staff):
    response = download(client, boss, CSV_URL)
    disposition = unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment;")
    assert f"阳光资产管理有限公司-roster-{timezone.localdate():%Y-%m-%d}.csv" in disposition
    xlsx = download(client, boss, XLSX_URL)
    assert unquote(xlsx["Content-Disposition"]).endswith(
        f"阳光资产管理有限公司-roster-{timezone.localdate():%Y-%m-%d}.xlsx"
    )


def test_exports_apply_the_pages_filters(client, agency, boss, staff):
    rows = read_csv(download(client, boss, CSV_URL, expiring=30))
    assert [row[0] for row in rows[1:]] == ["张小三"]
    rows = read_xlsx(download(client, boss, XLSX_URL, grade="C"))
    assert [row[0] for row in rows[1:]] == ["李四"]
    rows = read_csv(download(client, boss, CSV_URL, q="nobody"))
    assert rows[1:] == []


def test_the_xlsx_has_typed_cells(client, agency, boss, staff):
    rows = read_xlsx(download(client, boss, XLSX_URL, sort="grade"))
    assert rows[0][0] == "Name"
    first = rows[1]
    assert first[0] == "张小三"
    assert first[3] == "138****5678"
    assert first[5].date() == timezone.localtime(timezone.now() + timedelta(days=20)).date()
    assert float(first[6]) == 91.5
    assert first[7] == "A"
    assert rows[2][3] == "+86139****1111"  # a text cell, not a formula


def test_a_name_that_looks_like_a_formula_stays_text(client, agency, boss):
    make_collector(agency, '=HYPERLINK("http://evil")', employee_number="@SUM(1)")
    rows = read_csv(download(client, boss, CSV_URL))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1] == "'@SUM(1)"
    sheet = load_workbook(io.BytesIO(download(client, boss, XLSX_URL).body)).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("http://evil")'


def test_each_export_logs_the_rows_it_unmasked(client, agency, boss, staff):
    download(client, boss, CSV_URL)
    download(client, boss, XLSX_URL, expiring=30)
    csv_rows = PersonalDataAccess.objects.filter(context="firm dashboard: roster export (CSV)")
    xlsx_rows = PersonalDataAccess.objects.filter(context="firm dashboard: roster export (XLSX)")
    assert sorted(csv_rows.values_list("subject_id", flat=True)) == sorted(s.pk for s in staff)
    assert list(xlsx_rows.values_list("subject_id", flat=True)) == [staff[0].pk]
    assert PersonalDataAccess.objects.count() == 3
    for access in PersonalDataAccess.objects.all():
        assert access.viewer == boss
        assert access.fields == ["legal_name", "employee_number"]


def test_a_lenders_export_masks_agency_names_and_logs_nothing(client, agency, staff):
    lender = FirmFactory(name="诚信消费金融", kind=FirmKind.LENDER)
    lender_boss = make_manager("boss@lender.example", "钱总", lender)
    contract(lender, agency, starts_on=timezone.localdate())

    rows = read_csv(download(client, lender_boss, CSV_URL))
    assert sorted(row[0] for row in rows[1:]) == ["张*三", "李*"]
    rows = read_xlsx(download(client, lender_boss, XLSX_URL))
    assert sorted(row[0] for row in rows[1:]) == ["张*三", "李*"]
    assert not PersonalDataAccess.objects.exists()

    response = download(client, lender_boss, CSV_URL, firm=agency.pk)
    assert f"阳光资产管理有限公司-roster-{timezone.localdate():%Y-%m-%d}.csv" in unquote(
        response["Content-Disposition"]
    )


def test_exports_are_for_managers_in_scope_only(client, agency, boss, staff):
    other_firm = FirmFactory(name="别家催收有限公司")
    make_collector(other_firm, "王外人")
    rows = read_csv(download(client, boss, CSV_URL))
    assert "王外人" not in {row[0] for row in rows}

    client.force_login(boss)
    assert client.get(CSV_URL, {"firm": other_firm.pk}).status_code == 404
    assert client.get(XLSX_URL, {"firm": other_firm.pk}).status_code == 404
    client.force_login(staff[0])
    assert client.get(CSV_URL).status_code == 403
    assert client.get(XLSX_URL).status_code == 403
    assert not PersonalDataAccess.objects.filter(viewer=staff[0]).exists()
