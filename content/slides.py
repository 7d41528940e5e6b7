"""Rendering short HTML slide decks to PDF documents (used for demo event materials)."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from weasyprint import HTML

SLIDE_CSS = """
@page { size: A4 landscape; margin: 18mm 22mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; color: #1f2933; }
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
        SLIDE_CSS,
        mark_safe(slides_html),  # trusted: the project's own demo data, never user input
    )
    return HTML(string=str(document)).write_pdf()
