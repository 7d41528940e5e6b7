"""Cells for CSV and XLSX exports that a spreadsheet program will not run as formulas.

Why one module: every export (the firm roster, the exam report's two CSVs, the staff import's
error report) writes text that people typed — names, emails, question names — and Excel or
LibreOffice evaluate a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (CSV injection). The guard is OWASP's advice: prefix such a text cell with a quote. In
XLSX a cell can instead be typed as a string, which no program evaluates. Numbers are not text
and pass unchanged, so a negative score stays a number.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any, Protocol

# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel opens a CSV as UTF-8 and Chinese survives


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """A text cell neutralised with a leading quote if it would run as a formula; ``None``
    as an empty cell; anything else (numbers, dates) unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_text(value: object) -> str:
    """``value`` as text (``None`` as empty), neutralised like :func:`safe_cell`."""
    return str(safe_cell("" if value is None else str(value)))


def csv_writer(out: Writable):
    """A CSV writer on ``out`` after a byte-order mark."""
    out.write(BOM)
    return csv.writer(out)


def xlsx_cell(sheet, value: object):
    """A write-only openpyxl cell: text typed as a string, never a formula, whatever it
    starts with; a date shown as ``yyyy-mm-dd``."""
    from openpyxl.cell import WriteOnlyCell

    # types-openpyxl list fewer value types than openpyxl writes (date, bool, Decimal...).
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell
