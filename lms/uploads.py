"""What people may upload, decided by the file's content rather than its name.

Every upload form a non-admin can reach (audit evidence, Wagtail documents, the staff import)
goes through this module, so there is one allow-list and one way of telling types apart:

* :func:`detect` reads the first bytes with ``filetype`` (a maintained, pure-Python magic-number
  library, already installed as a dependency of Wagtail's Willow) and identifies the formats it
  knows only as "a zip" or "an OLE file" here, because those containers hold both office
  documents and programs: an OOXML document (docx/xlsx/pptx) must have ``[Content_Types].xml``
  and its main part, no macros and no embedded program; an old Office file (doc/xls/ppt) must
  hold the stream its program writes (an ``.msi`` installer is an OLE file too).
* :func:`check_upload` refuses anything outside the allow-list given (HTML, SVG, scripts,
  programs, archives: anything the browser or the reader's computer might run) with a message
  that says what the file is and what is accepted. The caller stores ``Kind.mime``, and the
  download serves that type, never one guessed from the name.
* :func:`check_zip` bounds a zip before anything decompresses it: member count, each member's
  and the total uncompressed size, and the compression ratio (a 337 KB workbook that inflates
  to gigabytes is refused from its central directory alone). :func:`check_xlsx_shape` then
  streams the sheets to refuse absurdly wide rows before openpyxl builds them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from xml.parsers import expat

import filetype
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HEAD_BYTES = 8192  # what filetype reads
OCTET_STREAM = "application/octet-stream"


class UploadRejected(Exception):
    """The file may not be uploaded here; the message (translated) says why."""


@dataclass(frozen=True)
class Kind:
    """An allowed type: its MIME type, the extensions it goes by (first = canonical), a label
    for messages, and whether a browser may show it inline (raster images and PDF only)."""

    mime: str
    extensions: tuple[str, ...]
    label: object  # a lazy translation
    inline: bool = False

    def matches_name(self, name: str) -> bool:
        return PurePosixPath(name.lower()).suffix.lstrip(".") in self.extensions


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.mime: kind for kind in kinds}


IMAGES = _kinds(
    Kind("image/jpeg", ("jpg", "jpeg"), gettext_lazy("JPEG image"), inline=True),
    Kind("image/png", ("png",), gettext_lazy("PNG image"), inline=True),
    Kind("image/gif", ("gif",), gettext_lazy("GIF image"), inline=True),
    Kind("image/webp", ("webp",), gettext_lazy("WebP image"), inline=True),
    Kind("image/heic", ("heic", "heif"), gettext_lazy("HEIC photo")),  # iPhone photos
    Kind("image/bmp", ("bmp",), gettext_lazy("BMP image")),
    Kind("image/tiff", ("tif", "tiff"), gettext_lazy("TIFF image")),
)
PDF = _kinds(Kind("application/pdf", ("pdf",), gettext_lazy("PDF document"), inline=True))
AUDIO = _kinds(
    Kind("audio/mpeg", ("mp3",), gettext_lazy("MP3 audio")),
    Kind("audio/mp4", ("m4a", "mp4"), gettext_lazy("M4A audio")),
    Kind("audio/x-wav", ("wav",), gettext_lazy("WAV audio")),
    # Call recorders on Chinese phones save AMR.
    Kind("audio/amr", ("amr",), gettext_lazy("AMR audio")),
    Kind("audio/aac", ("aac",), gettext_lazy("AAC audio")),
    Kind("audio/ogg", ("ogg", "oga", "opus"), gettext_lazy("Ogg audio")),
    Kind("audio/x-flac", ("flac",), gettext_lazy("FLAC audio")),
)
VIDEO = _kinds(
    Kind("video/mp4", ("mp4", "m4v"), gettext_lazy("MP4 video")),
    Kind("video/x-m4v", ("m4v", "mp4"), gettext_lazy("MP4 video")),
    Kind("video/quicktime", ("mov", "qt"), gettext_lazy("QuickTime video")),
    Kind("video/3gpp", ("3gp",), gettext_lazy("3GP video")),
    Kind("video/webm", ("webm",), gettext_lazy("WebM video")),
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
OFFICE = _kinds(
    Kind(DOCX, ("docx",), gettext_lazy("Word document")),
    Kind(XLSX, ("xlsx",), gettext_lazy("Excel workbook")),
    Kind(PPTX, ("pptx",), gettext_lazy("PowerPoint presentation")),
    Kind(DOC, ("doc",), gettext_lazy("Word 97–2003 document")),
    Kind(XLS, ("xls",), gettext_lazy("Excel 97–2003 workbook")),
    Kind(PPT, ("ppt",), gettext_lazy("PowerPoint 97–2003 presentation")),
)

# Audit evidence: photos, recordings, videos, letters and documents.
EVIDENCE_TYPES = IMAGES | PDF | AUDIO | VIDEO | OFFICE
# Trainers' Wagtail documents (course material; images go to Wagtail's image library).
DOCUMENT_TYPES = PDF | AUDIO | VIDEO | OFFICE


def kind_of(mime: str) -> Kind | None:
    """The allowed kind a stored MIME type stands for (None: serve it as a download)."""
    return EVIDENCE_TYPES.get(mime)


# --- Zip containers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipLimits:
    """Bounds for a zip read on the server; ``ratio`` applies to members over ``ratio_from``."""

    members: int
    member_bytes: int
    total_bytes: int
    ratio: int = 100
    ratio_from: int = 1024 * 1024


# Office documents kept as evidence or course material (checked, never parsed here).
OFFICE_LIMITS = ZipLimits(members=2000, member_bytes=256 << 20, total_bytes=512 << 20)


def check_zip(archive: zipfile.ZipFile, limits: ZipLimits) -> None:
    """Refuse a zip whose central directory promises more than ``limits`` allow.

    The sizes are the declared ones; ``zipfile`` never inflates a member past its declared
    size (it stops there and fails the CRC check), so they bound what any reader decompresses.
    """
    members = archive.infolist()
    if len(members) > limits.members:
        raise UploadRejected(
            _("The file holds %(count)d parts; at most %(max)d are accepted.")
            % {"count": len(members), "max": limits.members}
        )
    total = 0
    for member in members:
        total += member.file_size
        too_big = member.file_size > limits.member_bytes
        inflated = member.file_size > limits.ratio_from and member.file_size > limits.ratio * max(
            member.compress_size, 1
        )
        if too_big or inflated or total > limits.total_bytes:
            raise UploadRejected(
                _(
                    "The file expands to more than %(size)s when opened, which is far more than "
                    "its contents need: save it again from Excel, Word or WPS, or send a smaller "
                    "file."
                )
                % {"size": filesizeformat(min(member.file_size, total))}
            )


_OOXML_MAIN_PARTS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
# Macros and programs have no place in evidence or course material.
_FORBIDDEN_SUFFIXES: tuple[str, ...] = (
    ".bin",
    ".exe",
    ".dll",
    ".com",
    ".scr",
    ".msi",
    ".bat",
    ".cmd",
    ".ps1",
)
_FORBIDDEN_SUFFIXES += (".vbs", ".js", ".jar", ".sh", ".hta", ".lnk")
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")


def _ooxml_type(file: IO[bytes]) -> str | None:
    """docx/xlsx/pptx if the zip really is one, refusing macros and embedded programs."""
    try:
        with zipfile.ZipFile(file) as archive:
            check_zip(archive, OFFICE_LIMITS)
            names = {info.filename for info in archive.infolist()}
            if "[Content_Types].xml" not in names:
                return None
            mime = next((m for part, m in _OOXML_MAIN_PARTS.items() if part in names), None)
            if mime is None:
                return None
            for info in archive.infolist():
                name = info.filename.lower()
                if name.endswith(_FORBIDDEN_SUFFIXES) and "/printersettings/" not in name:
                    # vbaProject.bin (macros), oleObject*.bin (embedded packages), programs.
                    raise UploadRejected(
                        _(
                            "The document contains macros or an embedded program "
                            "(%(name)s). Save it without them (as .docx, .xlsx or .pptx, or as "
                            "PDF) and upload it again."
                        )
                        % {"name": PurePosixPath(info.filename).name}
                    )
                if info.file_size and not info.is_dir():
                    with archive.open(info) as member:
                        if member.read(4).startswith(_PROGRAM_MAGIC):
                            raise UploadRejected(
                                _("The document contains a program (%(name)s).")
                                % {"name": PurePosixPath(info.filename).name}
                            )
            return mime
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        RuntimeError,
        NotImplementedError,
    ):
        # An encrypted member (RuntimeError) or an unusual compression method: not an office
        # document we can vouch for.
        return None


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_STREAMS = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book\x00".encode("utf-16-le"), XLS),  # Excel 5/95
    ("PowerPoint Document".encode("utf-16-le"), PPT),
)


def _ole_type(file: IO[bytes]) -> str | None:
    """doc/xls/ppt when the compound file holds the stream that program writes.

    filetype recognises some layouts by fixed offsets only (WPS saves others, and its Excel
    test matches other OLE files too), so the directory is searched for the stream names
    instead, a megabyte at a time; an OLE file with none of them (an ``.msi`` installer, an
    Outlook ``.msg``) is not accepted."""
    overlap = max(len(stream) for stream, _mime in _OLE_STREAMS)
    file.seek(0)
    tail = b""
    while chunk := file.read(1024 * 1024):
        window = tail + chunk
        for stream, mime in _OLE_STREAMS:
            if stream in window:
                return mime
        tail = window[-overlap:]
    return None


def _read_head(file: IO[bytes]) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def detect(file: IO[bytes]) -> str | None:
    """The MIME type of an (uploaded or stored) file from its content, or None when it is not
    a type this module can vouch for. Leaves the file at position 0."""
    head = _read_head(file)
    guessed = filetype.guess_mime(head) if head else None
    try:
        if head.startswith(b"PK\x03\x04"):
            return _ooxml_type(file)
        if head.startswith(_OLE_MAGIC):
            return _ole_type(file)
        return guessed
    finally:
        file.seek(0)


def describe(allowed: Iterable[Kind]) -> str:
    """The accepted types as one line of extensions, for messages and help texts."""
    extensions: list[str] = []
    for kind in allowed:
        extensions.extend(ext for ext in kind.extensions if ext not in extensions)
    return ", ".join(f".{ext}" for ext in extensions)


def check_upload(
    file: IO[bytes], name: str, allowed: dict[str, Kind], *, name_must_match: bool = False
) -> Kind:
    """The allowed kind ``file`` is, or :class:`UploadRejected` saying what is accepted.

    ``name_must_match`` is for files served under their own name (Wagtail documents are served
    with a type guessed from the extension): a PDF named ``.docx`` is refused there, while
    evidence keeps its detected type and gets a matching name (:func:`safe_name`).
    """
    mime = detect(file)
    kind = allowed.get(mime or "")
    accepted = describe(allowed.values())
    if kind is None:
        known = EVIDENCE_TYPES.get(mime or "")
        if known is not None:
            raise UploadRejected(
                _("%(type)s files are not accepted here. Accepted: %(accepted)s.")
                % {"type": known.label, "accepted": accepted}
            )
        raise UploadRejected(
            _(
                "This file's content is not of an accepted type, whatever its name says "
                "(web pages, SVG drawings, scripts, programs and archives are refused). "
                "Accepted: %(accepted)s."
            )
            % {"accepted": accepted}
        )
    if name_must_match and not kind.matches_name(name):
        raise UploadRejected(
            _("By its content this file is: %(type)s. Its name must end in .%(ext)s.")
            % {"type": kind.label, "ext": kind.extensions[0]}
        )
    return kind


def safe_name(name: str, kind: Kind) -> str:
    """``name`` with an extension that agrees with its content (``IMG_1.jpg`` holding a PNG
    becomes ``IMG_1.png``; ``letter.pdf.exe`` holding a PDF becomes ``letter.pdf.pdf``)."""
    if kind.matches_name(name):
        return name
    path = PurePosixPath(name)
    stem = path.stem if path.suffix else path.name
    return f"{stem}.{kind.extensions[0]}"


# --- XLSX read on the server (the staff import) ------------------------------------------------


class _TooWide(Exception):
    pass


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)\d*(?::([A-Z]+)\d*)?\"")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def check_xlsx_shape(archive: zipfile.ZipFile, *, max_columns: int, max_strings: int) -> None:
    """Refuse a workbook with a row wider than ``max_columns`` cells or more than
    ``max_strings`` shared strings, before openpyxl builds any row.

    openpyxl's row reader materialises a whole ``<row>`` before ``max_col`` slices it, and
    loads every shared string when the workbook opens; so this streams each sheet through
    expat (constant memory) and stops at the first row that is too wide. A sheet whose
    ``<dimension>`` claims more columns is refused from its first bytes.
    """
    for info in archive.infolist():
        name = info.filename
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            _check_sheet(archive, info, max_columns)
        elif name == "xl/sharedStrings.xml":
            _check_count(archive, info, "si", max_strings)


def _too_wide(max_columns: int) -> UploadRejected:
    return UploadRejected(
        _(
            "A row of the sheet has more than %(max)d columns. A staff list needs only a few: "
            "copy the columns you need into a new workbook and upload that."
        )
        % {"max": max_columns}
    )


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, parser: expat.XMLParserType) -> None:
    def refuse_entities(*args: object) -> None:
        # Excel never declares entities; a "billion laughs" file does.
        raise UploadRejected(
            _("The workbook declares XML entities, which Excel never writes: save it again.")
        )

    parser.EntityDeclHandler = refuse_entities
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise UploadRejected(
            _(
                "The workbook is damaged (%(part)s cannot be read): open it in Excel and save "
                "it again."
            )
            % {"part": info.filename}
        ) from error


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_columns: int) -> None:
    with archive.open(info) as stream:
        match = _DIMENSION.search(stream.read(4096))
    if match:
        first, last = match.group(1), match.group(2) or match.group(1)
        if _column_number(last) - _column_number(first) + 1 > max_columns:
            raise _too_wide(max_columns)
    parser = expat.ParserCreate(namespace_separator=" ")
    cells = 0

    def start(tag: str, attributes: object) -> None:
        nonlocal cells
        local = tag.rpartition(" ")[2]
        if local == "row":
            cells = 0
        elif local == "c":
            cells += 1
            if cells > max_columns:
                raise _TooWide

    parser.StartElementHandler = start
    try:
        _stream(archive, info, parser)
    except _TooWide:
        raise _too_wide(max_columns) from None


def _check_count(archive: zipfile.ZipFile, info: zipfile.ZipInfo, element: str, limit: int) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    count = 0

    def start(tag: str, attributes: object) -> None:
        nonlocal count
        if tag.rpartition(" ")[2] == element:
            count += 1
            if count > limit:
                raise _TooWide

    parser.StartElementHandler = start
    try:
        _stream(archive, info, parser)
    except _TooWide:
        raise UploadRejected(
            _("The workbook holds more than %(max)d different texts; a staff list has far fewer.")
            % {"max": limit}
        ) from None
