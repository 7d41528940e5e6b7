"""Rendering short HTML slide decks to PDF documents (used for demo event materials)."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from lms.lib.fonts import FONTS_DIR, font_face_css

SLIDE_CSS = """
@page { size: A4 landscape; margin: 18mm 22mm; }
body { font-family: "SSA Certificate Serif", "Noto Sans CJK SC", "Noto Sans SC", sans-serif;
       color: #1f2933; }
section { page-break-after: always; }
section:last-child { page-break-after: auto; }
h1 { font-size: 28pt; color: #1f3a5f; margin-top: 30mm; }
h2 { font-size: 22pt; color: #1f3a5f; border-bottom: 2pt solid #b84a00; padding-bottom: 4mm; }
p, li { font-size: 16pt; line-height: 1.6; }
"""


def render_slides(slides_html: str, title: str) -> bytes:
    """A PDF with one page per ``<section>`` of ``slides_html`` (trusted, editor-written HTML)."""
    document = format_html(
        '<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><title>{}</title>'
        "<style>{}</style></head><body>{}</body></html>",
        title,
        mark_safe(SLIDE_CSS),  # our own CSS: escaping its quotes would void the font-family
        mark_safe(slides_html),  # trusted: the project's own demo data, never user input
    )
    # The certificate's pre-subset CJK font: subsetting the whole system font takes seconds.
    fonts = FontConfiguration()
    font_css = CSS(string=font_face_css(), base_url=f"{FONTS_DIR}/", font_config=fonts)
    return HTML(string=str(document)).write_pdf(stylesheets=[font_css], font_config=fonts)
