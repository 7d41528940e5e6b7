"""Roster exports: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) and XLSX.

Exports carry the same rows and the same masking as the page: phone numbers are always
masked, names outside the viewer's own firm too. Each export records, in the personal-data
access log, the rows whose full name it contains, a chunk at a time before the chunk is
written. Both formats stream (``StreamingHttpResponse``) with memory that does not grow with
the roster: see :mod:`lms.lib.spreadsheet`. Cells are guarded against running as
formulas by :mod:`lms.lib.spreadsheet`.

The rows are read and logged while the server sends the file, after the view has returned:
:func:`attachment` keeps the viewer's language and the request's audit context (request id,
actor) for that time. An export that fails half-way must not pass for a whole one: the error
is logged and raised again, so the server cuts the chunked response short without its last
chunk (the browser marks the download failed, ``curl`` exits 18) or, before any byte was
sent, answers 500; a CSV also gets a last line saying it is incomplete, for whoever opens a
partial file anyway.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from lms.auditlog.context import current_request_id, keep_context
from lms.compliance.privacy import log_access
from lms.lib.spreadsheet import stream_csv, stream_xlsx

from .roster import RosterRow, Scope

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

logger = logging.getLogger(__name__)


def header() -> list[str]:
    return [
        _("Name"),
        _("Employee number"),
        _("Firm"),
        _("Phone (masked)"),
        _("Certificate"),
        _("Certificate expires"),
        _("Score"),
        _("Grade"),
        _("Required courses completed"),
        _("Required courses"),
        _("Final exams passed"),
        _("Final exams"),
        _("Overdue assignments"),
    ]


def values(row: RosterRow) -> list:
    expires = row.certificate_expires_at
    return [
        row.name,
        row.employee_number,
        row.firm.name,
        row.phone,
        row.certificate_label,
        timezone.localtime(expires).date() if expires else None,
        row.score,
        row.grade or "",
        row.courses_done,
        row.courses_required,
        row.exams_passed,
        row.exams_required,
        row.overdue_assignments,
    ]


ROSTER_WIDTHS = (14, 14, 24, 16, 12, 14, 8, 8, 12, 10, 12, 10, 12)


def csv_stream(rows: Iterable[RosterRow]) -> Iterator[bytes]:
    return stream_csv(header(), (values(row) for row in rows))


def xlsx_stream(rows: Iterable[RosterRow], title: str) -> Iterator[bytes]:
    return stream_xlsx(
        header(), (values(row) for row in rows), title=title or "Roster", widths=ROSTER_WIDTHS
    )


def filename(scope: Scope, firm_id: int | None, extension: str) -> str:
    """e.g. ``阳光资产管理有限公司-roster-2026-11-28.csv``."""
    firm = scope.firm(firm_id) if firm_id else scope.own_firm
    assert firm is not None  # the views answer a firm outside the scope with a 404
    stem = f"{firm.name}-roster-{timezone.localdate():%Y-%m-%d}"
    if firm_id is None and len(scope.firms) > 1:
        stem = f"{firm.name}-all-firms-roster-{timezone.localdate():%Y-%m-%d}"
    return get_valid_filename(stem) + "." + extension


def attachment(
    content: Iterator[bytes],
    content_type: str,
    name: str,
    *,
    incomplete: Callable[[], bytes] | None = None,
) -> StreamingHttpResponse:
    """The file as a download, sent piece by piece as ``content`` yields it (in the viewer's
    language and the request's audit context: the pieces are written after the view has
    returned). If ``content`` fails after a piece was sent, ``incomplete()`` is sent last
    before the error is raised again (see the module's docstring)."""
    pieces = _in_language(_guarded(content, name, incomplete), translation.get_language())
    response = StreamingHttpResponse(keep_context(pieces), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def _in_language(pieces: Iterator[bytes], language: str) -> Iterator[bytes]:
    with translation.override(language):
        yield from pieces


def _guarded(
    pieces: Iterator[bytes], name: str, incomplete: Callable[[], bytes] | None
) -> Iterator[bytes]:
    sent = 0
    try:
        for piece in pieces:
            yield piece
            sent += 1
    except Exception:
        # The response's status and headers are long gone: only the log and the cut-short
        # transfer can tell that this file is not the whole roster.
        logger.exception(
            "Export %s failed after %d piece(s) (request %s); the download is cut short",
            name,
            sent,
            current_request_id.get() or "-",
        )
        if sent and incomplete is not None:
            yield incomplete()
        raise


def csv_incomplete() -> bytes:
    """The CSV's last line when the export failed half-way (one cell, its own row)."""
    out = io.StringIO()
    csv.writer(out).writerow(
        [
            _(
                "EXPORT INCOMPLETE: an error stopped this export; the rows above are not the "
                "whole roster. Download it again."
            )
        ]
    )
    return out.getvalue().encode("utf-8")


def log_export(rows: Sequence[RosterRow], *, viewer, kind: str) -> int:
    """Log the rows whose full legal name the export contains (one INSERT and one audit
    event; the views call it once per chunk of rows, before the chunk is written)."""
    unmasked = [row.user for row in rows if not row.name_is_masked]
    if not unmasked:
        return 0
    return log_access(
        unmasked,
        fields=["legal_name", "employee_number"],
        context=f"firm dashboard: roster export ({kind})",
        viewer=viewer,
        export=True,
        firms={row.firm for row in rows if not row.name_is_masked},
    )
