"""Chinese word segmentation for Wagtail search.

Wagtail's database backends (SQLite FTS5, PostgreSQL tsvector) split text on whitespace and
punctuation, and Chinese has neither between words: "催收非法债务罪" would be one token, and a
search for "催收" would miss it. We therefore index and query *segmented* text — words joined by
spaces — produced by jieba's search-engine mode, which also emits the shorter words inside long
ones (催收非法债务罪 → 催收 非法 债务 罪 …). Models expose a method that returns segmented text
and list it in ``search_fields``; queries go through :func:`segment_query`.
"""

from __future__ import annotations

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

_SPACES = re.compile(r"\s+")


def segment(text: str) -> str:
    """Words of ``text`` separated by single spaces (Latin words pass through unchanged)."""
    words = (w.strip() for w in jieba.cut_for_search(text or ""))
    return _SPACES.sub(" ", " ".join(w for w in words if w)).strip()


def segment_query(query: str) -> str:
    """The query as space-separated words, so the backend matches each word."""
    return segment(query)
