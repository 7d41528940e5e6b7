"""Hostile workbooks uploaded to the staff import are refused quickly, with a form error.

The workbooks are written by hand (zipfile + sheet XML) because openpyxl would never write
them: a row of 3,000,000 cells that compresses to a few hundred KB, a sheet claiming 16,384
columns, a shared-string index that points nowhere.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lms.accounts.models import Invitation, MembershipRole
from lms.accounts.onboarding import importing
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1"
 Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>
<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PKG_REL}">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
SHARED_STRINGS = f"""<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>name</t></si><si><t>email</t></si></sst>"""


def inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(sheet_chunks, *, dimension: str = "") -> bytes:
    """An .xlsx whose first sheet's rows are the XML strings ``sheet_chunks`` yields (streamed
    into the zip, so a 100 MB sheet never sits in the test's memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", SHARED_STRINGS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for chunk in sheet_chunks:
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


@cache
def three_million_cells() -> bytes:
    """The workbook of the report: 3,000,000 inline-string cells in one row (~110 MB of XML,
    about 330 KB zipped). Built once per run; it takes a second or two."""

    def rows():
        yield '<row r="1">'
        block = inline("x") * 10_000
        for _ in range(300):
            yield block
        yield "</row>"

    return workbook(rows())


@pytest.fixture
def manager_client(client, manager):
    firm = FirmFactory(name="阳光催收有限公司")
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    manager.preferred_language = "en"
    manager.save(update_fields=["preferred_language"])
    client.force_login(manager)
    return client


def warm_up(client) -> None:
    """One ordinary page first, so the timing is the refusal and not the first request's
    imports and template compilation."""
    assert client.get(reverse("staff:import")).status_code == 200


def upload(client, data: bytes, name: str = "staff.xlsx"):
    return client.post(reverse("staff:import"), {"file": SimpleUploadedFile(name, data)})


def form_error(response) -> str:
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors, "expected an error on the file field"
    return " ".join(errors)


def test_a_row_of_three_million_cells_is_refused_in_well_under_a_second(manager_client):
    data = three_million_cells()
    assert len(data) < importing.MAX_BYTES  # it passes the 1 MB upload cap
    warm_up(manager_client)

    started = time.perf_counter()
    response = upload(manager_client, data)
    elapsed = time.perf_counter() - started

    assert "expands to more than" in form_error(response)
    assert elapsed < 1.0, f"refusal took {elapsed:.2f} s"
    assert not Invitation.objects.exists()


def test_the_refusal_of_an_inflating_workbook_takes_little_memory(manager_client):
    data = three_million_cells()
    warm_up(manager_client)
    tracemalloc.start()
    try:
        response = upload(manager_client, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "expands to more than" in form_error(response)
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_a_row_wider_than_the_column_cap_is_refused_before_openpyxl_builds_it(manager_client):
    # Small enough to pass the size caps: only the row width gives it away.
    cells = inline("x") * (importing.MAX_COLUMNS + 1)
    data = workbook([f'<row r="1">{cells}</row>'])
    warm_up(manager_client)

    started = time.perf_counter()
    tracemalloc.start()
    try:
        response = upload(manager_client, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {importing.MAX_COLUMNS} columns" in form_error(response)
    assert time.perf_counter() - started < 1.0
    assert peak < 50 * 1024 * 1024


def test_a_sheet_whose_dimension_claims_absurd_width_is_refused(manager_client):
    row = f'<row r="1">{inline("name")}{inline("email")}</row>'
    response = upload(manager_client, workbook([row], dimension="A1:XFD2"))
    assert f"more than {importing.MAX_COLUMNS} columns" in form_error(response)


def test_a_shared_string_index_out_of_range_is_an_unreadable_workbook(manager_client):
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>999</v></c><c r="B2" t="s"><v>1</v></c></row>'
    )
    response = upload(manager_client, workbook([rows]))
    assert "not a readable Excel workbook" in form_error(response)


def test_a_hand_written_workbook_within_the_limits_still_previews(manager_client):
    # The same builder, honest content: the guards do not refuse a normal staff list.
    header = f'<row r="1">{inline("姓名")}{inline("邮箱")}</row>'
    person = f'<row r="2">{inline("张伟")}{inline("zhang.wei@example.com")}</row>'
    response = upload(manager_client, workbook([header, person], dimension="A1:B2"))
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = manager_client.get(response["Location"])
    assert [row.values["email"] for row in preview.context["rows"]] == ["zhang.wei@example.com"]
