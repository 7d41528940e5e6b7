"""lms.lib.spreadsheet: the CSV/XLSX guard every export uses (roster, exam report, staff
import errors), so a cell people typed never runs as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from lms.lib.spreadsheet import BOM, csv_writer, safe_cell, safe_text, xlsx_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+1", "'\t=1+1"),  # a leading tab: Excel strips it and runs the rest
        ("\r=1+1", "'\r=1+1"),
        ("张伟", "张伟"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_would_run_as_a_formula_gets_a_leading_quote(value, cell):
    assert safe_cell(value) == cell
    assert safe_text(value) == cell


def test_numbers_and_dates_are_not_text_and_pass_unchanged():
    assert safe_cell(-5) == -5  # a negative score stays a number
    assert safe_cell(Decimal("-37.27")) == Decimal("-37.27")
    assert safe_cell(date(2026, 12, 6)) == date(2026, 12, 6)
    assert safe_cell(None) == ""


def test_safe_text_turns_values_into_guarded_text():
    assert safe_text(None) == ""
    assert safe_text(12) == "12"
    assert safe_text(-5) == "'-5"  # as text, a minus sign starts a formula


def test_the_csv_writer_starts_with_a_byte_order_mark():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([safe_cell("=1+1"), safe_cell(-5), "张伟"])
    text = out.getvalue()
    assert text.startswith(BOM)
    assert next(csv.reader(io.StringIO(text[1:]))) == ["'=1+1", "-5", "张伟"]


def test_xlsx_text_cells_are_strings_never_formulas_and_dates_are_formatted():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet")
    sheet.append(
        [
            xlsx_cell(sheet, "=1+1"),
            xlsx_cell(sheet, "\t=1+1"),
            xlsx_cell(sheet, -5),
            xlsx_cell(sheet, date(2026, 12, 6)),
        ]
    )
    output = io.BytesIO()
    workbook.save(output)
    row = next(load_workbook(io.BytesIO(output.getvalue())).active.iter_rows())
    assert [cell.data_type for cell in row] == ["s", "s", "n", "d"]
    assert row[0].value == "=1+1"
    assert row[2].value == -5
    assert row[3].number_format == "yyyy-mm-dd"
