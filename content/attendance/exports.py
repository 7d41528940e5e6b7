"""Attendance exports: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) and XLSX.

They carry the rows a page shows, with the same masking (the view passes the names as it
shows them). Cells are guarded against running as formulas by :mod:`lms.lib.spreadsheet`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from lms.lib.spreadsheet import table_csv, table_xlsx

from .reports import AttendanceRow

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# How a row's attendee name appears (full, or masked for a viewer who needn't know it).
NameOf = Callable[[AttendanceRow], str]
# The reason of a row's last change as the viewer may read it (free text about a person: a
# lender's manager gets none for a contracted agency's staff, whose names are masked).
ReasonOf = Callable[[AttendanceRow], str]


def full_reason(row: AttendanceRow) -> str:
    return row.reason


def header() -> list[str]:
    return [
        _("Event"),
        _("Session"),
        _("Session date"),
        _("Name"),
        _("Firm"),
        _("State"),
        _("Checked in at"),
        _("Hours credited"),
        _("How"),
        _("Reason"),
    ]


def values(row: AttendanceRow, name_of: NameOf, reason_of: ReasonOf = full_reason) -> list:
    checked_in = row.checked_in_at
    return [
        row.event_title,
        str(row.session),
        timezone.localtime(row.session.start).date(),
        name_of(row),
        row.firm_name,
        row.state_label,
        timezone.localtime(checked_in).strftime("%Y-%m-%d %H:%M") if checked_in else "",
        row.hours,
        row.via_label,
        reason_of(row),
    ]


ATTENDANCE_WIDTHS = (24, 14, 12, 14, 24, 12, 16, 10, 16, 24)


def csv_response(
    rows: Sequence[AttendanceRow],
    stem: str,
    name_of: NameOf,
    reason_of: ReasonOf = full_reason,
) -> HttpResponse:
    content = table_csv(header(), (values(row, name_of, reason_of) for row in rows))
    return attachment(content, CSV_TYPE, filename(stem, "csv"))


def xlsx_response(
    rows: Sequence[AttendanceRow],
    stem: str,
    name_of: NameOf,
    reason_of: ReasonOf = full_reason,
) -> HttpResponse:
    content = table_xlsx(
        header(),
        (values(row, name_of, reason_of) for row in rows),
        title=_("Attendance"),
        widths=ATTENDANCE_WIDTHS,
    )
    return attachment(content, XLSX_TYPE, filename(stem, "xlsx"))


def filename(stem: str, extension: str) -> str:
    """e.g. ``合规催收沙龙-attendance-2026-12-07.csv``."""
    return (
        get_valid_filename(f"{stem}-attendance-{timezone.localdate():%Y-%m-%d}") + "." + extension
    )


def attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response
