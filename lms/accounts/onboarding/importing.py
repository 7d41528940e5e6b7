"""Reading a staff list (CSV or XLSX) and checking every row before anything is imported.

A firm's HR exports its staff from Excel: columns name, email, phone, employee number, with
English or Chinese headers (姓名, 邮箱, 手机号, 工号). Excel in China saves CSV as GBK, so a CSV
is read as UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text") or, when
it is not UTF-8, GB18030 (a superset of GBK).

:func:`read_upload` turns the file into a :class:`Table` or raises :class:`ImportFileError`
with a message for the whole file (too big, too many rows, not a spreadsheet, missing columns).
:func:`check_rows` gives each row its problems: bad email or phone, missing name, a duplicate
within the file, someone already with another firm (errors) or already in this firm or invited
(skipped, with a note). :func:`run_import` writes nothing unless every row is clean or the
manager chose to import only the valid rows; it re-checks first, in the same transaction.

Importing a row means inviting that person (``invitations.issue``), exactly as "Invite by
email" does: the membership starts when they accept, because it lets the firm follow their
certificates and rating, which needs their consent.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms import uploads
from lms.accounts.models import Firm, User, phone_validator
from lms.lib.spreadsheet import csv_writer, safe_cell

from . import invitations
from .invitations import ERROR, SKIP, Problem

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
# An XLSX is a zip of XML: bounded before openpyxl sees it (lms.uploads). 1 MB of workbook
# inflates to a few MB of XML for 2,000 rows; anything far beyond that is hostile.
XLSX_LIMITS = uploads.ZipLimits(members=100, member_bytes=16 << 20, total_bytes=32 << 20)
MAX_COLUMNS = 200  # a row wider than this is refused; the columns we need come first
MAX_STRINGS = 50_000  # distinct texts in the workbook (2,000 rows × a few columns)
MAX_NAME = 60  # User.legal_name
MAX_EMPLOYEE_NUMBER = 40

# Canonical column → the headers accepted for it (compared lower-case, spaces collapsed).
COLUMNS = {
    "name": {"name", "full name", "legal name", "姓名", "名字", "员工姓名"},
    "email": {"email", "e-mail", "email address", "mail", "邮箱", "电子邮箱", "邮件", "电子邮件"},
    "phone": {
        "phone",
        "mobile",
        "mobile phone",
        "phone number",
        "手机号",
        "手机",
        "手机号码",
        "电话",
    },
    "employee_number": {
        "employee number",
        "employee no",
        "employee no.",
        "employee id",
        "employee_number",
        "工号",
        "员工编号",
        "员工号",
    },
}
REQUIRED = ("name", "email")
LABELS = {
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "employee_number": gettext_lazy("Employee number"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be used; the message says why and what to do."""


@dataclass
class Table:
    """The file's rows as ``(spreadsheet row number, {column: text})``; JSON-friendly, so a
    preview can be kept in the session until the manager confirms."""

    headers: dict[str, str]  # canonical column → the header as written in the file
    rows: list[tuple[int, dict[str, str]]]
    ignored: list[str] = field(default_factory=list)  # headers we did not recognise

    def to_json(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "ignored": self.ignored}

    @classmethod
    def from_json(cls, data: dict) -> Table:
        return cls(
            headers=data["headers"],
            rows=[(number, values) for number, values in data["rows"]],
            ignored=data.get("ignored", []),
        )

    def header(self, column: str) -> str:
        return self.headers.get(column) or str(LABELS[column])


@dataclass
class Row:
    number: int
    values: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if any(problem.level == ERROR for problem in self.problems):
            return ERROR
        if self.problems:
            return SKIP
        return "ok"

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level == ERROR]


@dataclass
class Summary:
    ok: int
    skipped: int
    errors: int

    @property
    def total(self) -> int:
        return self.ok + self.skipped + self.errors


def summarise(rows: list[Row]) -> Summary:
    statuses = [row.status for row in rows]
    return Summary(statuses.count("ok"), statuses.count(SKIP), statuses.count(ERROR))


# --- Reading the file --------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The text of a CSV file in whichever encoding Excel or a text editor saved it."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise ImportFileError(
                    _("The file says it is %(encoding)s but is not: save it again as CSV UTF-8.")
                    % {"encoding": encoding.upper()}
                ) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "The file's text encoding could not be recognised (tried UTF-8 and GBK). "
                "In Excel, save it as “CSV UTF-8” or as an .xlsx workbook."
            )
        ) from error


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_cells(data: bytes) -> list[list[str]]:
    text = decode_csv(data)
    if "\x00" in text:
        raise ImportFileError(_("This does not look like a CSV file."))
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file could not be read: %(error)s") % {"error": error}
        ) from error


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 13800138000 as a number
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _unreadable_workbook() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not a readable Excel workbook (.xlsx). Open it in Excel and save it "
            "again, or save it as CSV."
        )
    )


def _check_workbook(data: bytes) -> None:
    """Bound the workbook before openpyxl opens it (see ``lms.uploads``): a small upload can
    inflate to gigabytes, and openpyxl builds a whole row before ``max_col`` applies."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            uploads.check_zip(archive, XLSX_LIMITS)
            uploads.check_xlsx_shape(archive, max_columns=MAX_COLUMNS, max_strings=MAX_STRINGS)
    except uploads.UploadRejected as error:
        raise ImportFileError(str(error)) from error
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError) as error:
        raise _unreadable_workbook() from error


def _xlsx_cells(data: bytes) -> list[list[str]]:
    _check_workbook(data)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise _unreadable_workbook() from error
    try:
        sheet = workbook.worksheets[0]
        cells = []
        # A header row plus MAX_ROWS rows, plus one to notice a file that is too long; empty
        # rows do not count, but stop reading at some point whatever the file claims.
        filled = 0
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            row = [_cell_text(value).strip() for value in values]
            cells.append(row)
            if any(row):
                filled += 1
            if filled > MAX_ROWS + 1 or len(cells) > 10 * MAX_ROWS:
                break
        return cells
    except Exception as error:
        # openpyxl parses rows lazily, so a damaged part (a shared-string index out of range,
        # a malformed cell, bad XML) only fails here; whatever it is, it is the file's fault.
        raise _unreadable_workbook() from error
    finally:
        workbook.close()


def _header_key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").replace("_", " ").split()).lower()


def _match_headers(header_row: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored = []
    for index, text in enumerate(header_row):
        key = _header_key(text)
        column = next(
            (name for name, aliases in COLUMNS.items() if key in {_header_key(a) for a in aliases}),
            None,
        )
        if column is None:
            if text.strip():
                ignored.append(text.strip())
            continue
        if column in positions:
            raise ImportFileError(
                _("Two columns are both “%(column)s” (%(first)s and %(second)s): keep one.")
                % {"column": LABELS[column], "first": written[column], "second": text.strip()}
            )
        positions[column] = index
        written[column] = text.strip()
    return positions, written, ignored


def read_upload(data: bytes, filename: str) -> Table:
    """Read an uploaded staff list; raises :class:`ImportFileError` for problems with the file
    as a whole."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 1 MB. Split the list into several files."))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    name = filename.lower()
    if name.endswith(".xls"):
        raise ImportFileError(
            _("Old Excel files (.xls) are not supported: save it as .xlsx or as CSV.")
        )
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        cells = _xlsx_cells(data)
    elif name.endswith((".csv", ".txt")):
        cells = _csv_cells(data)
    else:
        raise ImportFileError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))

    filled = [
        (number, row) for number, row in enumerate(cells, start=1) if any(c.strip() for c in row)
    ]
    if not filled:
        raise ImportFileError(_("The file is empty."))
    header_number, header_row = filled[0]
    positions, written, ignored = _match_headers(header_row)
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns. Missing: %(missing)s. Accepted headers: "
                "name or 姓名, email or 邮箱, phone or 手机号, employee number or 工号."
            )
            % {"missing": ", ".join(str(LABELS[column]) for column in missing)}
        )
    data_rows = filled[1:]
    if len(data_rows) > MAX_ROWS:
        raise ImportFileError(
            _("The file has more than %(max)d rows. Split it into several files.")
            % {"max": MAX_ROWS}
        )
    if not data_rows:
        raise ImportFileError(_("The file has a header row but no staff rows."))
    rows = []
    for number, row in data_rows:
        values = {
            column: (row[index].strip() if index < len(row) else "")
            for column, index in positions.items()
        }
        rows.append((number, values))
    return Table(headers=written, rows=rows, ignored=ignored)


# --- Checking the rows -------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """13800138000, +86 138-0013-8000, 0086 13800138000 → 13800138000 (as the user model keeps
    it); anything else is returned cleaned of spaces and dashes for the validator to refuse."""
    phone = "".join(ch for ch in raw if ch not in " -()\u3000")
    if phone.startswith("0086"):
        phone = "+86" + phone[4:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = "+86" + phone[2:]
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def _check_format(values: dict[str, str]) -> list[Problem]:
    problems = []
    name = values.get("name", "")
    if not name:
        problems.append(Problem("missing_name", "name", _("The name is missing.")))
    elif len(name) > MAX_NAME:
        problems.append(
            Problem(
                "name_too_long",
                "name",
                _("The name is longer than %(max)d characters.") % {"max": MAX_NAME},
            )
        )
    email = values.get("email", "")
    if not email:
        problems.append(Problem("missing_email", "email", _("The email address is missing.")))
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                Problem(
                    "bad_email",
                    "email",
                    _("“%(value)s” is not a valid email address.") % {"value": email},
                )
            )
    phone = values.get("phone", "")
    if phone:
        try:
            phone_validator(normalise_phone(phone))
        except ValidationError:
            problems.append(
                Problem(
                    "bad_phone",
                    "phone",
                    _(
                        "“%(value)s” is not a mainland China mobile number "
                        "(11 digits, e.g. 13800138000)."
                    )
                    % {"value": phone},
                )
            )
    number = values.get("employee_number", "")
    if len(number) > MAX_EMPLOYEE_NUMBER:
        problems.append(
            Problem(
                "employee_number_too_long",
                "employee_number",
                _("The employee number is longer than %(max)d characters.")
                % {"max": MAX_EMPLOYEE_NUMBER},
            )
        )
    return problems


def check_rows(firm: Firm, table: Table) -> list[Row]:
    """Every row with its problems. A few queries in all (``invitations.screen``), not per row."""
    rows = [Row(number, values, _check_format(values)) for number, values in table.rows]
    first_with_email: dict[str, int] = {}
    first_with_number: dict[str, int] = {}
    for row in rows:
        email = invitations.normalise_email(row.values.get("email", ""))
        number = row.values.get("employee_number", "")
        if email and email in first_with_email:
            row.problems.append(
                Problem(
                    "duplicate_email",
                    "email",
                    _("The same email address is on row %(row)d.")
                    % {"row": first_with_email[email]},
                )
            )
        elif email:
            first_with_email[email] = row.number
        if number and number in first_with_number:
            row.problems.append(
                Problem(
                    "duplicate_employee_number",
                    "employee_number",
                    _("The same employee number is on row %(row)d.")
                    % {"row": first_with_number[number]},
                )
            )
        elif number:
            first_with_number[number] = row.number
    screenable = [row for row in rows if not any(p.field == "email" for p in row.errors)]
    people = [(row.values["email"], row.values.get("employee_number", "")) for row in screenable]
    for row, problems in zip(screenable, invitations.screen(firm, people), strict=True):
        row.problems.extend(problems)
    return rows


def error_report(rows: list[Row], table: Table) -> str:
    """The errors as CSV (row, column, message), with a byte-order mark so Excel shows Chinese."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([_("Row"), _("Column"), _("Message")])
    for row in rows:
        for problem in row.errors:
            cells = [row.number, table.header(problem.field), problem.message]
            writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


# --- Importing ---------------------------------------------------------------------------------


class ImportBlocked(Exception):
    """Rows have errors and the manager did not choose to import only the valid ones."""

    def __init__(self, rows: list[Row]):
        super().__init__("rows have errors")
        self.rows = rows


@dataclass
class ImportResult:
    invited: list[str]
    skipped: int
    not_imported: int


def run_import(firm: Firm, table: Table, *, by: User, only_valid: bool) -> ImportResult:
    """Invite every clean row, in one transaction: either all of them are invited or none.

    The rows are checked again here, so someone who joined another firm since the preview is
    not invited. With errors and without ``only_valid``, nothing is written
    (:class:`ImportBlocked`).
    """
    with transaction.atomic():
        rows = check_rows(firm, table)
        summary = summarise(rows)
        if summary.errors and not only_valid:
            raise ImportBlocked(rows)
        invited = []
        for row in rows:
            if row.status != "ok":
                continue
            invitations.issue(
                firm,
                email=row.values["email"],
                by=by,
                legal_name=row.values.get("name", ""),
                phone=normalise_phone(row.values.get("phone", "")),
                employee_number=row.values.get("employee_number", ""),
            )
            invited.append(invitations.normalise_email(row.values["email"]))
    return ImportResult(invited=invited, skipped=summary.skipped, not_imported=summary.errors)
