"""The certificate PDF: an HTML/CSS template rendered by WeasyPrint, A4 landscape, PDF/A-3b.

Why a module of its own, free of models: issuance renders the PDF inside a Celery task from a
snapshot of the certificate (:class:`CertificateDocument`), and the benchmark times it alone.

Speed (tests/bench/test_certificate_pdf.py holds the target): WeasyPrint subsets each font it
embeds on every render, so Chinese text uses the pre-built subset font shipped in lms/lib/fontfiles/
(see :mod:`lms.lib.fonts`) rather than the 26 MB system collection, which costs
seconds per certificate. The system Noto CJK fonts come next in ``font-family``, so a name with
a character outside the subset still renders (that certificate takes a few seconds longer).
Each thread keeps its WeasyPrint font configuration and parsed stylesheets between renders:
registering the shipped fonts means decoding them, once.

PDF/A-3b works with this design: the certificate is a record to archive, every font is
embedded, colours are sRGB (WeasyPrint adds the output intent), and the seal's transparency is
allowed from PDF/A-2 on. The tests check the identification, the output intent and the fonts;
no full validator (veraPDF) runs here.
"""

from __future__ import annotations

import atexit
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lms.lib.fonts import FONTS_DIR, font_face_css

TEMPLATE = "certificates/pdf/certificate.html"
# The template's folder: the base URL for its stylesheet and the seal image.
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "certificates" / "pdf"
PDF_OPTIONS = {
    "pdf_variant": "pdf/a-3b",
    # The shipped font carries no hinting: True only spares WeasyPrint a pass stripping it.
    "hinting": True,
}
QR_SCALE = 8  # pixels per module: sharp in viewers that smooth images, a few hundred bytes
QR_COLOUR = "#14213d"
SIZES = ("l", "m", "s", "xs")  # type size classes in certificate.css, largest first

# Labels in the certificate's language, each with a small English line beneath it.
LABELS: dict[str, Promise] = {
    "issuer": _("Sunshine Academy"),
    "title": _("Certificate of Compliance Training"),
    "certify": _("This is to certify that"),
    "completed": _("has completed the training and passed the examination of"),
    "score": _("Examination score"),
    "issued_on": _("Date of issue"),
    "expires_on": _("Valid until"),
    "serial": _("Certificate No."),
    "verify": _("Scan to verify"),
}
# The attendance variant's own labels (the others are shared).
ATTENDANCE_LABELS: dict[str, Promise] = {
    "title": _("Certificate of attendance"),
    "completed": _("attended"),
    "session": _("Session"),
    "hours": _("CPD hours"),
}
ATTENDANCE = "attendance"


@dataclass(frozen=True)
class CertificateDocument:
    """What a certificate PDF shows: a snapshot taken at issuance, not live model data.

    The ``attendance`` variant (a certificate of attendance) shows the event as
    ``programme_name``, the session's date and place and the hours instead of a score and an
    expiry (``score_percent`` and ``expires_on`` are then None).
    """

    holder_name: str
    programme_name: str
    score_percent: Decimal | None
    issued_on: date
    expires_on: date | None
    serial: str
    verification_url: str  # absolute: the QR code and the printed link point at it
    variant: str = "certification"
    session_label: str = ""  # attendance: the session's date, time and place
    hours: Decimal | None = None  # attendance: the hours credited


@dataclass(frozen=True)
class Label:
    """A label in the certificate's language, and its English form when that differs."""

    text: str
    english: str

    @property
    def wide(self) -> bool:
        """Mostly CJK: set with letter spacing, which Latin text does without."""
        return _is_mostly_wide(self.text)


def render_certificate_pdf(document: CertificateDocument, *, language: str = "zh-hans") -> bytes:
    """The certificate as PDF/A-3b bytes, labels in ``language`` (a code from LANGUAGES)."""
    return layout_certificate(document, language=language).write_pdf(**PDF_OPTIONS)


def layout_certificate(document: CertificateDocument, *, language: str = "zh-hans"):
    """The certificate laid out by WeasyPrint (a ``weasyprint.Document``), not yet written."""
    from weasyprint import HTML

    assets = _assets()
    html = HTML(
        string=certificate_html(document, language=language),
        base_url=TEMPLATE_DIR.as_uri() + "/",
        url_fetcher=assets.url_fetcher,
    )
    return html.render(
        stylesheets=assets.stylesheets, font_config=assets.font_config, **PDF_OPTIONS
    )


def certificate_html(document: CertificateDocument, *, language: str = "zh-hans") -> str:
    """The HTML WeasyPrint renders: the template filled in ``language``."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unsupported certificate language {language!r}")
    with translation.override(language):
        labels = _labels(language)
        if document.variant == ATTENDANCE:
            labels = {**labels, **_translated(ATTENDANCE_LABELS)}
        context = {
            "document": document,
            "labels": labels,
            "language_tag": translation.to_language(language),
            "attendance": document.variant == ATTENDANCE,
            "score": (
                format_percent(document.score_percent) if document.score_percent is not None else ""
            ),
            "hours": format_hours(document.hours) if document.hours is not None else "",
            "issued_on": formats.date_format(document.issued_on, "DATE_FORMAT"),
            "expires_on": (
                formats.date_format(document.expires_on, "DATE_FORMAT")
                if document.expires_on
                else ""
            ),
            "qr_code": qr_code_data_uri(document.verification_url),
            # One line at "l" and "m", two at "s", up to four at "xs" (150 characters).
            "name_size": _size_class(document.holder_name, (9, 16, 70)),
            "name_is_wide": _is_mostly_wide(document.holder_name),
            # One line at "l" and "m", up to three at "s" (120 characters).
            "programme_size": _size_class(document.programme_name, (20, 36)),
        }
        return render_to_string(TEMPLATE, context)


def qr_code_data_uri(url: str) -> str:
    """A PNG QR code (error correction M) for ``url``, as a data URI for the template."""
    qr = segno.make(url, error="m", micro=False)
    return qr.png_data_uri(scale=QR_SCALE, border=4, dark=QR_COLOUR, light="#ffffff")


def format_percent(value: Decimal) -> str:
    """``92.50`` -> ``"92.5%"``, ``100`` -> ``"100%"``: two decimals at most, no trailing zeros."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text}%"


def format_hours(value: Decimal) -> str:
    """``3.00`` -> ``"3"``, ``1.50`` -> ``"1.5"``."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _labels(language: str) -> dict[str, Label]:
    """Each label in the active language, with its English form unless they are the same
    (an English certificate, or a label not translated yet)."""
    return _translated(LABELS)


def _translated(source: dict[str, Promise]) -> dict[str, Label]:
    texts = {key: str(label) for key, label in source.items()}
    with translation.override("en"):
        english = {key: str(label) for key, label in source.items()}
    return {
        key: Label(text, "" if english[key] == text else english[key])
        for key, text in texts.items()
    }


def _width(text: str) -> float:
    """Rough printed width in ems: CJK characters are square, Latin ones about half as wide."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)


def _is_mostly_wide(text: str) -> bool:
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return wide * 2 > len(text)


def _size_class(text: str, limits: tuple[float, ...]) -> str:
    """The largest of :data:`SIZES` whose width limit (in ems, see :func:`_width`) ``text``
    keeps to: long names and programmes get smaller type and the certificate one page."""
    width = _width(text)
    for size, limit in zip(SIZES, limits, strict=False):
        if width <= limit:
            return size
    return SIZES[len(limits)]


@dataclass(frozen=True)
class _Assets:
    """WeasyPrint objects reused between renders in one thread."""

    font_config: object  # weasyprint.text.fonts.FontConfiguration
    stylesheets: tuple[object, ...]  # weasyprint.CSS: the shipped fonts, then the design
    url_fetcher: object  # weasyprint.URLFetcher: local files and data URIs only


_local = threading.local()


def _assets() -> _Assets:
    """This thread's font configuration and stylesheets, built on first use.

    WeasyPrint's font configuration and URL fetcher are not documented as thread-safe, so
    threads do not share them; a worker process renders in one thread and pays the set-up
    (about 0.2 s) once. The fetcher reads only local files and data URIs (a certificate never
    loads anything from the network), fails the render if one is missing rather than leave
    out the seal or a font, and is reused because building one costs an SSL context.
    """
    assets = getattr(_local, "assets", None)
    if assets is None:
        from weasyprint import CSS, URLFetcher
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        url_fetcher = URLFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)
        stylesheets = (
            CSS(
                string=font_face_css(),
                base_url=FONTS_DIR.as_uri() + "/",
                font_config=font_config,
                url_fetcher=url_fetcher,
            ),
            CSS(
                filename=TEMPLATE_DIR / "certificate.css",
                font_config=font_config,
                url_fetcher=url_fetcher,
            ),
        )
        assets = _local.assets = _Assets(font_config, stylesheets, url_fetcher)
    return assets


@atexit.register
def _release_assets() -> None:
    """Free the main thread's font configuration (it deletes its temporary folder) while the
    interpreter can still run its finaliser."""
    _local.__dict__.pop("assets", None)
