"""Text formats: question and feedback text in GIFT's and Moodle XML's formats (html,
moodle, plain, markdown) to the HTML and plain text the models store, and back.

Why apart: both parsers and both exporters convert text; none of them plans or writes.
"""

from __future__ import annotations

import html as html_lib
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from django.utils.translation import gettext as _

# Text formats, named as GIFT names them; Moodle XML's names map onto these.
HTML, MOODLE, PLAIN, MARKDOWN = "html", "moodle", "plain", "markdown"


def plain_name(text: str) -> str:
    """A name as Moodle stores it (PARAM_TEXT): tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]*>", "", text).split())


def default_name(stem_html: str) -> str:
    """Moodle's name for an unnamed question: the start of its text."""
    text = " ".join(html_to_text(stem_html).split())
    return text[:80] or _("Untitled question")


def _paragraphs(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br/>".join(line.strip() for line in p.splitlines()) + "</p>" for p in paragraphs
    )


_MD_IMAGE = re.compile(r'!\[([^\]]*)\]\(\s*(\S+?)(?:\s+"[^"]*")?\s*\)')


def _markdown_to_html(text: str, features: list[str]) -> str:
    """Markdown through Wagtail's own converter (draftjs_exporter's Markdown parser, already a
    Wagtail dependency). Image sources are kept aside first: the converter only understands
    Wagtail's own image references, and ours are embedded files."""
    from draftjs_exporter import MarkdownParseError
    from wagtail.admin.rich_text.converters.markdown_db import MarkdownConverter

    images: list[tuple[str, str]] = []

    def keep_image(match: re.Match) -> str:
        images.append((match.group(1), match.group(2)))
        return f"\ue020{len(images) - 1}\ue021"

    text = _MD_IMAGE.sub(keep_image, text)
    try:
        converted = MarkdownConverter(features).to_database_format(text)
    except MarkdownParseError:
        converted = _paragraphs(html_lib.escape(text))
    for index, (alt, src) in enumerate(images):
        tag = f'<img src="{html_lib.escape(src)}" alt="{html_lib.escape(alt)}"/>'
        converted = converted.replace(f"\ue020{index}\ue021", tag)
    return converted


def to_html(text: str, fmt: str) -> str:
    """Text in a Moodle format as (unsanitised) HTML."""
    text = text.strip()
    if fmt == HTML:
        return text
    if fmt == MARKDOWN:
        return _markdown_to_html(text, ["bold", "italic", "ol", "ul", "link", "image"])
    if fmt == PLAIN:
        return _paragraphs(html_lib.escape(text, quote=False))
    return _paragraphs(text)


_BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "blockquote", "pre", "hr"} | {
    f"h{n}" for n in range(1, 7)
}


def html_to_text(html: str) -> str:
    """HTML as the plain text a reader sees: tags dropped, ``<br>`` and blocks as line breaks.

    The inverse of :func:`text_to_html` for any text without leading/trailing spaces on a
    line, so choice texts and feedback survive an export and re-import unchanged."""
    if "<" not in html and "&" not in html:
        return html.strip()
    pieces: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pieces.append(re.sub(r"\s*[\t\r\n]\s*", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "br":
                    pieces.append("\n")
                elif child.name in _BLOCKS:
                    pieces.append("\x00")
                    walk(child)
                    pieces.append("\x00")
                elif child.name not in {"script", "style"}:
                    walk(child)

    walk(BeautifulSoup(html, "html.parser"))
    text = re.sub(r" *\x00[\x00 ]*", "\x00", "".join(pieces)).strip("\x00 \n")
    text = re.sub(r"\n?\x00\n?", "\n", text)
    return text.strip()


def text_to_html(text: str) -> str:
    return html_lib.escape(text, quote=False).replace("\n", "<br>")


def to_text(text: str, fmt: str) -> str:
    """Text in a Moodle format as plain text (for choices, feedback and category info)."""
    return html_to_text(text) if fmt == HTML else text.strip()
