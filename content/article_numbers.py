"""Article numbers in Chinese legal text: 第五十条, 第50条, 第二百九十三条之一 as one value.

Statutes write article numbers in Chinese numerals; people type them either way, often without
第 or 条. :class:`ArticleRef` is the number (and the M of 之M) whatever the numerals, and its
:attr:`~ArticleRef.token` is what the search index stores for it (see ``content.segmentation``).
Chinese numerals are converted by ``cn2an``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

_NUMERAL = r"(?:[0-9]+|[零〇一二两三四五六七八九十百千]+)"
# In texts: 第N条 and 第N条之M (statutes always write 第…条).
_ARTICLE_IN_TEXT = re.compile(rf"第({_NUMERAL})条(?:之({_NUMERAL}))?")
# In queries: 第N, N条, 第N条, N之M, each optionally with 之M; a bare number is not an article.
_ARTICLE_IN_QUERY = re.compile(
    rf"(第)?({_NUMERAL})(条)?(?:之({_NUMERAL}))?",
)


@dataclass(frozen=True)
class ArticleRef:
    """An article number found in a text or a query, e.g. 第二百九十三条之一 = (293, 1)."""

    number: int
    sub: int | None = None  # the M of 之M
    typed: str = ""  # as it appeared in the query

    @property
    def token(self) -> str:
        """The canonical index token: ``art50``, ``art293x1``."""
        return f"art{self.number}" + (f"x{self.sub}" if self.sub else "")

    @property
    def forms(self) -> list[str]:
        """How texts write it, in Chinese and in Arabic numerals (for highlighting)."""
        chinese = f"第{cn2an.an2cn(self.number)}条"
        arabic = f"第{self.number}条"
        if self.sub:
            chinese += f"之{cn2an.an2cn(self.sub)}"
            arabic += f"之{cn2an.an2cn(self.sub)}"
        return [chinese, arabic]


def _number(numeral: str) -> int | None:
    """``50``, ``五十`` or ``二百九十三`` as an int; None for what is not a number (e.g. 十百)."""
    if numeral.isdigit():
        return int(numeral)
    try:
        value = cn2an.cn2an(numeral.replace("两", "二"), "strict")
    except (ValueError, KeyError):
        return None
    return int(value) if value == int(value) and value > 0 else None


def _ref(number: str, sub: str | None, typed: str = "") -> ArticleRef | None:
    main = _number(number)
    minor = _number(sub) if sub else None
    if main is None or (sub and minor is None):
        return None
    return ArticleRef(main, minor, typed)


def article_tokens(text: str) -> list[str]:
    """The canonical tokens of the article references in ``text`` (see the module docstring)."""
    tokens: list[str] = []
    for match in _ARTICLE_IN_TEXT.finditer(text or ""):
        ref = _ref(match.group(1), match.group(2))
        if ref is not None:
            tokens.append(ref.token)
            if ref.sub:
                tokens.append(ArticleRef(ref.number).token)
    return list(dict.fromkeys(tokens))


def split_articles(query: str) -> tuple[list[ArticleRef], str]:
    """The article references of a query, and the rest of the query without them.

    A number counts as an article only with 第 before it, 条 after it, or 之M after it: 50 alone
    could be anything (50元).
    """
    refs: list[ArticleRef] = []
    rest: list[str] = []
    last = 0
    for match in _ARTICLE_IN_QUERY.finditer(query):
        prefix, number, suffix, sub = match.groups()
        if not (prefix or suffix or sub):
            continue
        ref = _ref(number, sub, typed=match.group(0))
        if ref is None:
            continue
        refs.append(ref)
        rest.append(query[last : match.start()])
        last = match.end()
    rest.append(query[last:])
    return list(dict.fromkeys(refs)), " ".join(rest)
