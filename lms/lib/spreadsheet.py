"""Cells for CSV and XLSX exports that a spreadsheet program will not run as formulas.

Why one module: every export (the firm roster, the exam report's two CSVs, the staff import's
error report) writes text that people typed — names, emails, question names — and Excel or
LibreOffice evaluate a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (CSV injection). The guard is OWASP's advice: prefix such a text cell with a quote. In
XLSX a cell can instead be typed as a string, which no program evaluates. Numbers are not text
and pass unchanged, so a negative score stays a number.

Large exports (a lender's roster of 20,000 collectors) stream: :func:`stream_csv` and
:func:`stream_xlsx` yield the file in pieces with memory that does not grow with the rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Protocol

# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel opens a CSV as UTF-8 and Chinese survives
STREAM_ROWS = 500  # CSV rows per streamed piece
STREAM_BYTES = 64 * 1024  # XLSX bytes per streamed piece
SPOOL_BYTES = 1024 * 1024  # a finished XLSX stays in memory up to this size, then on disk


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


def table_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A whole table as CSV bytes: byte-order mark, header, every cell guarded."""
    return b"".join(stream_csv(header, rows))


def stream_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, batch: int = STREAM_ROWS
) -> Iterator[bytes]:
    """The table as CSV, ``batch`` rows per piece (for a ``StreamingHttpResponse``): memory
    holds one batch whatever the table's length. Byte-order mark, header, every cell guarded."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def table_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str,
    widths: Sequence[int] = (),
) -> bytes:
    """A whole table as an XLSX workbook in memory (see :func:`stream_xlsx`)."""
    return b"".join(stream_xlsx(header, rows, title=title, widths=widths))


def stream_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str,
    widths: Sequence[int] = (),
    piece: int = STREAM_BYTES,
) -> Iterator[bytes]:
    """The table as an XLSX workbook, in pieces of ``piece`` bytes, with flat memory.

    An XLSX is a zip whose central directory comes last, so it cannot be sent before it is
    finished. openpyxl's write-only workbook keeps each row only until it is written to the
    sheet's temporary file; the finished zip goes to a spooled temporary file (memory up to
    ``SPOOL_BYTES``, then disk), which is then read back in pieces. Memory stays the same
    for a hundred rows or a hundred thousand; the disk holds the file for the download's
    length. One sheet named ``title``, a bold frozen header row, column widths in characters,
    every cell typed by :func:`xlsx_cell`.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for text in header:
        cell = xlsx_cell(sheet, text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as output:
        workbook.save(output)
        output.seek(0)
        while data := output.read(piece):
            yield data
