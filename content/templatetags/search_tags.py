"""Template filters for search results: an excerpt around the first match, query words marked."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

register = template.Library()

EXCERPT_LENGTH = 120
_SPACES = re.compile(r"\s+")


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    terms = sorted({term for term in terms if term}, key=len, reverse=True)  # longest wins
    if not terms:
        return None
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


@register.filter
def excerpt(text: str, terms: Sequence[str], length: int = EXCERPT_LENGTH) -> str:
    """About 120 characters of ``text``, centred on the first query word: ``text|excerpt:terms``.

    Plain text (new lines become spaces); pipe it through ``highlight``, which escapes it.
    """
    text = _SPACES.sub(" ", str(text or "")).strip()
    if len(text) <= length:
        return text
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    if match is None:
        return Truncator(text).chars(length)
    centre = (match.start() + match.end()) // 2
    start = max(0, min(centre - length // 2, len(text) - length))
    end = start + length
    return f"{'…' if start else ''}{text[start:end]}{'…' if end < len(text) else ''}"


@register.filter
def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """``text`` escaped, every query word in it wrapped in <mark>: ``text|highlight:terms``."""
    text = str(text or "")
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(format_html("<mark>{}</mark>", match.group()))
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every part was escaped above
