"""Big firms (issue 17, item 4): the roster's CSV and XLSX exports stream, chunk by chunk, with
the same rows, order and masking as the page, and log every unmasked row exactly once.

Chunks of 4 rows (``EXPORT_CHUNK`` patched) make a dozen collectors several chunks; the memory
bound at 2,000 and 20,000 rows is measured by tests/bench/test_big_firm.py.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lms.compliance.dashboard import views
from lms.compliance.models import PersonalDataAccess
from lms.lib import spreadsheet
from tests.factories import FirmFactory

from .dashboard_factories import contract, rated_staff

CSV_URL = reverse("dashboard:export_csv")
XLSX_URL = reverse("dashboard:export_xlsx")
ROSTER = reverse("dashboard:roster")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_export_chunks")]


@pytest.fixture(autouse=True)
def _one_roster_page(monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 100)


@pytest.fixture
def agency(lender):
    agency = FirmFactory(name="阳光资产管理")
    contract(lender, agency, starts_on=timezone.localdate() - timedelta(days=3))
    return agency


@pytest.fixture
def staff(lender, agency):
    """Seven of the lender's own collectors and six of the agency's, in a mixed order."""
    return rated_staff([lender, agency], 13)


def download(client, user, url, **params) -> tuple[StreamingHttpResponse, bytes]:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def page_names(client, **params) -> list[str]:
    return [str(row.name) for row in client.get(ROSTER, params).context["rows"]]


def test_the_csv_streams_every_row_in_the_pages_order_in_chunks(client, boss, staff):
    response, body = download(client, boss, CSV_URL)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"].startswith("max-age=0")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Name"
    assert [row[0] for row in rows[1:]] == page_names(client)  # 13 rows over 4 chunks
    assert all(row[3] == "138****5678" for row in rows[1:])


def test_the_xlsx_streams_the_same_rows_as_the_csv(client, boss, staff):
    response, body = download(client, boss, XLSX_URL, sort="grade")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == views.exports.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    _csv_response, csv_body = download(client, boss, CSV_URL, sort="grade")
    csv_rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))
    assert [row[0] for row in cells] == [row[0] for row in csv_rows]
    assert [row[7] for row in cells[1:]] == sorted(row[7] for row in cells[1:])
    assert isinstance(cells[1][6], float | int)  # the score stays a number


def test_every_unmasked_row_is_logged_once_and_masked_ones_never(client, boss, staff, lender):
    download(client, boss, CSV_URL)
    logged = list(
        PersonalDataAccess.objects.filter(context="firm dashboard: roster export (CSV)")
        .values_list("subject_id", flat=True)
        .order_by("subject_id")
    )
    own = sorted(user.pk for user in staff if user.memberships.get().firm_id == lender.pk)
    assert logged == own  # 7 people over several chunks, each once; the agency's 6 masked


def test_filters_narrow_the_export_as_they_narrow_the_page(client, boss, staff, agency):
    _response, body = download(client, boss, CSV_URL, firm=agency.pk, grade="B")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    assert [row[0] for row in rows] == page_names(client, firm=agency.pk, grade="B")
    assert rows and {row[7] for row in rows} == {"B"}
    assert all("*" in row[0] for row in rows)
    assert not PersonalDataAccess.objects.exists()


def test_an_empty_export_is_a_header_only(client, boss, staff):
    _response, body = download(client, boss, CSV_URL, q="no-such-number")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == [views.exports.header()]
    _response, body = download(client, boss, XLSX_URL, q="no-such-number")
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    assert len(list(sheet.iter_rows(values_only=True))) == 1


def test_the_spreadsheet_streams_yield_bounded_pieces():
    header = ["Name", "Score"]
    rows = [(f"=员工{n}", n) for n in range(25)]
    pieces = list(spreadsheet.stream_csv(header, rows, batch=10))
    assert len(pieces) == 3  # the header with 10 rows, 10 rows, the last 5
    text = b"".join(pieces).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=员工0,0"
    chunks = list(spreadsheet.stream_xlsx(header, rows, title="T", piece=1024))
    assert len(chunks) > 1 and all(len(chunk) <= 1024 for chunk in chunks)
    sheet = load_workbook(io.BytesIO(b"".join(chunks))).active
    assert sheet["A2"].value == "=员工0" and sheet["A2"].data_type == "s"
    assert sheet["B26"].value == 24
    assert spreadsheet.table_csv(header, rows) == b"".join(pieces)
