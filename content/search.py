"""Chinese site search: word segmentation for Wagtail's index, queries, and the result list.

Why segment at all
    Wagtail's database backends (SQLite FTS5, PostgreSQL tsvector) split text on whitespace and
    punctuation, and Chinese has neither between words: "催收非法债务罪" would be one token and a
    search for "催收" would miss it. Models therefore index *segmented* text — words joined by
    spaces, from :func:`segment` — through ``index.SearchField("search_text")``, and queries are
    segmented the same way (:func:`query_words`).

How: dictionary-only jieba, plus every dictionary word inside a longer word
    A query can only match if the words it is cut into are among the words the text was cut
    into. Two properties of jieba get in the way, and we switch both off:

    * jieba's HMM guesses "new words" from the characters around them, so the same characters
      are cut differently in a sentence and in a two-word query: in "情节较轻的" it finds 较轻, in
      the query "情节较轻" it gives 较 + 轻, and the article would not be found. We cut with
      ``HMM=False``: dictionary words only, characters outside the dictionary stay single
      characters on both sides, so a string is cut the same way wherever it appears.
    * ``cut_for_search`` adds the 2- and 3-character dictionary words inside a long word, but
      not longer ones (中华人民共和国 gives 共和国 but not 人民共和国). :func:`segment` adds *every*
      dictionary word inside each word, whatever its length, so a query made of any dictionary
      word that occurs inside the text's words is found.

    We deliberately add no domain compounds (e.g. 催收非法债务罪) to jieba's dictionary: queries
    are matched with AND over their words, so a compound in the dictionary would make the query
    "暴力催收" require that exact compound and miss a text that says "暴力……催收". Character
    bigrams were the alternative; they also match nonsense across word boundaries (法拘 in
    非法拘禁) and double the index, for no gain on the statute texts we checked
    (tests/content/test_search.py checks legal terms against every article).

Article numbers
    Statutes number their articles in Chinese numerals (第五十条, 第二百九十三条之一); people type
    them either way (第50条, 50条, 第五十, 293之一). jieba cuts the two forms into unrelated pieces
    (第五十 + 条 against 第 + 50 + 条), so neither finds the other. :func:`segment` therefore adds
    one canonical token per article reference in the text (``art50``; ``art293x1`` and
    ``art293`` for 第二百九十三条之一, so a search for article 293 also finds its 之一 article, as
    the Chinese form already did), whichever numerals the text uses. A query's article
    references (with 第, 条, or both; Arabic or Chinese numerals, converted by ``cn2an``) search
    for that token *or* the words as typed, so a query that matched before still matches, even
    in an index built before this existed. The tokens only appear once ``update_index`` has run
    over content saved earlier (saving a page or ``load_regulations`` re-indexes it anyway).

Queries
    :func:`build_query` ANDs the query's words (precise: "催收 信用卡" finds articles having both),
    and ORs in the query's own space-separated terms, unsegmented, because Wagtail's
    ``Page.search_fields`` index ``title`` as it is: the page titled 阳光学堂 is one token there.
    Page types should include their title in their ``search_text`` so titles are found by any
    word in them. Only if nothing has every word is the search repeated without the single
    characters (:func:`main_words`): 催收非法债务罪 is the crime's name, but the article itself
    says 催收……非法债务 and never 罪. If that still finds nothing and the query has several words
    (or one compound, such as 骚扰电话, made of dictionary words), results containing *any* of
    them are shown instead, ranked by how many they contain (:func:`any_words`), and the page
    says so. A search that finds nothing says only that.

Results
    :class:`SiteSearchResults` searches live public pages and regulations and lists pages first;
    excerpts and <mark> highlighting are template filters (``content/templatetags/search_tags``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jieba
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelsearch.query import And, Or, PlainText, SearchQuery

from .article_numbers import ArticleRef, article_tokens, split_articles

if TYPE_CHECKING:
    from django.http import HttpRequest
    from wagtail.models import Site

jieba.setLogLevel(logging.WARNING)

MAX_QUERY_LENGTH = 200

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w]+")
_WORD = re.compile(r"\w")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _dictionary() -> dict[str, int]:
    jieba.dt.check_initialized()  # loads the dictionary once per process (about a second)
    return jieba.dt.FREQ


def _words(text: str) -> Iterator[str]:
    """jieba's dictionary words of ``text`` (no HMM guessing), without spaces and punctuation."""
    for word in jieba.cut(text or "", HMM=False):
        if _WORD.search(word):
            yield word


def _inner_words(word: str) -> Iterator[str]:
    """Every dictionary word strictly inside a Chinese ``word``, of any length."""
    if len(word) < 3 or not _HAN.fullmatch(word):
        return
    freq = _dictionary()
    for size in range(len(word) - 1, 1, -1):
        for start in range(len(word) - size + 1):
            inner = word[start : start + size]
            if freq.get(inner):  # the prefix entries jieba keeps have frequency 0
                yield inner


def segment(text: str) -> str:
    """Index form of ``text``: its words and every dictionary word inside them, space-separated,
    plus a canonical token for each article number in it."""
    tokens: list[str] = []
    for word in _words(text):
        tokens.append(word)
        tokens.extend(_inner_words(word))
    tokens.extend(article_tokens(text))
    return " ".join(tokens)


def clean_query(query: str) -> tuple[str, bool]:
    """The query with whitespace collapsed and cut to MAX_QUERY_LENGTH; and whether it was cut."""
    query = _SPACES.sub(" ", query or "").strip()
    return query[:MAX_QUERY_LENGTH].strip(), len(query) > MAX_QUERY_LENGTH


def query_words(query: str) -> list[str]:
    """The words a query is searched for, in order, each once.

    Only word characters survive: FTS5 and tsquery have their own syntax (quotes, ``*``, ``&``),
    and punctuation is never indexed anyway.
    """
    return list(dict.fromkeys(_words(_NOT_WORD.sub(" ", query or ""))))


def segment_query(query: str) -> str:
    """The query's words, space-separated (what the backend ANDs together)."""
    return " ".join(query_words(query))


def main_words(query: str) -> list[str]:
    """The query's words of two or more characters, if leaving out single characters changes it.

    Single characters left by dictionary segmentation are mostly suffixes and particles (罪 in
    催收非法债务罪, 员 in 催收员, 的): a statute says 催收……非法债务 without naming the crime. When
    no result has every word, :class:`SiteSearchResults` retries with these, and says so.
    Article numbers are kept whole (their 第 and 条 are not particles).
    """
    refs, rest = split_articles(_NOT_WORD.sub(" ", query or ""))
    words = query_words(rest)
    main = [word for word in words if len(word) > 1]
    if not main and not refs:
        return []
    if len(main) == len(words):
        return []
    return [ref.typed for ref in refs] + main


def any_words(query: str) -> list[str]:
    """What the last fallback searches for, any of them: the article numbers, the words of two
    or more characters, and the dictionary words inside a compound (骚扰电话 → 骚扰, 电话).

    Empty when that would be the query itself (one word, nothing inside it).
    """
    refs, rest = split_articles(_NOT_WORD.sub(" ", query or ""))
    words = query_words(rest)
    units: list[str] = [ref.typed for ref in refs]
    for word in words:
        inner = [part for part in _inner_words(word) if not _is_inside_another(part, word)]
        units.extend(inner or ([word] if len(word) > 1 or len(words) == 1 else []))
    units = list(dict.fromkeys(units))
    return units if len(units) > 1 else []


def _is_inside_another(part: str, word: str) -> bool:
    """Whether ``part`` lies inside a longer dictionary word of ``word`` (keep the longest)."""
    return any(part != other and part in other for other in _inner_words(word))


def _article_query(ref: ArticleRef) -> SearchQuery:
    """The canonical token, or the reference's words as typed (indexes built before the tokens,
    and texts that write the number unusually)."""
    as_typed = query_words(ref.typed)
    if not as_typed:
        return PlainText(ref.token)
    return Or([PlainText(ref.token), PlainText(" ".join(as_typed), operator="and")])


def _all_of(query: str) -> SearchQuery | None:
    refs, rest = split_articles(query)
    parts: list[SearchQuery] = [_article_query(ref) for ref in refs]
    words = query_words(rest)
    if words:
        parts.append(PlainText(" ".join(words), operator="and"))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def build_query(query: str, *, relaxed: bool = False, any_word: bool = False) -> SearchQuery | None:
    """All of the query's words, or all of its own terms (for unsegmented fields such as titles).

    ``relaxed``: all of its :func:`main_words` instead; ``any_word``: any of its
    :func:`any_words`. None when there is nothing to search for.
    """
    query = _NOT_WORD.sub(" ", query or "")
    if any_word:
        units = any_words(query)
        if not units:
            return None
        alternatives = [_all_of(unit) for unit in units]
        return Or([part for part in alternatives if part is not None])
    if relaxed:
        words = main_words(query)
        return _all_of(" ".join(words)) if words else None
    search = _all_of(query)
    if search is None:
        return None
    words = query_words(query)
    terms = list(dict.fromkeys(query.split()))
    if set(terms) != set(words):
        search |= PlainText(" ".join(terms), operator="and")
    return search


def highlight_terms(query: str) -> list[str]:
    """What to mark in results: the query's words and its own terms, the words inside them, and
    each article number in both numerals; longest first."""
    cleaned = _NOT_WORD.sub(" ", query or "")
    refs, rest = split_articles(cleaned)
    words = query_words(rest)  # an article's 第 and 条 are not marked on their own
    terms = set(words) | set(cleaned.split())
    terms |= {part for word in words for part in _inner_words(word)}
    terms |= {form for ref in refs for form in [ref.typed, *ref.forms]}
    return sorted(terms, key=lambda term: (-len(term), term))


# Result labels by model; other page types are simply "Page".
TYPE_LABELS = {
    "courses.coursepage": _("Course"),
    "courses.lessonpage": _("Lesson"),
    "content.eventpage": _("Event"),
    "content.regulation": _("Regulation"),
}
# A page's excerpt comes from these fields, joined, centred on the first match. Lesson bodies
# are left out on purpose: lessons are for enrolled learners; search must not show them to all.
EXCERPT_FIELDS = ("search_description", "intro", "summary", "description", "objectives")


@dataclass
class Hit:
    """One search result, ready for the template."""

    title: str
    type_label: str
    url: str
    text: str
    meta: str = ""
    superseded: bool = False


def _page_hit(page: Any, request: HttpRequest | None) -> Hit:
    label = TYPE_LABELS.get(page._meta.label_lower, _("Page"))
    texts = [strip_tags(str(getattr(page, name, "") or "")) for name in EXCERPT_FIELDS]
    return Hit(
        title=page.title,
        type_label=str(label),
        url=page.get_url(request) or "",
        text=" ".join(t for t in texts if t.strip()),
    )


def _regulation_hit(regulation: Any) -> Hit:
    return Hit(
        title=f"{regulation.short_name} {regulation.article_label}",
        type_label=str(TYPE_LABELS["content.regulation"]),
        url=reverse("regulation_detail", args=[regulation.pk]),
        text=regulation.text,
        meta=f"{regulation.statute} · {regulation.edition_label}",
        superseded=regulation.is_superseded,
    )


class SiteSearchResults:
    """Live public pages of the site, then regulations, each by relevance, as one sliceable list.

    Pages come first because courses, lessons and events are where a collector learns; the
    statutes they cite follow. Relevance scores of two separate searches are not comparable
    (BM25 on SQLite, ts_rank on PostgreSQL), so they are not interleaved. Django's Paginator
    slices this: only the slice it needs is fetched and turned into :class:`Hit` objects.

    If nothing has every word, the search is repeated with the :func:`main_words`, then with
    :func:`any_words` (any of them). ``relaxed_words`` and ``any_words`` say which words the
    results were found with, and only when that found something, so the page never announces
    results it does not have.
    """

    def __init__(self, query: str, site: Site | None, request: HttpRequest | None = None) -> None:
        self.request = request
        self.site = site
        self.relaxed_words: list[str] = []
        self.any_words: list[str] = []
        self._parts = self._search(build_query(query))
        if not self._parts or len(self):
            return
        if main_words(query) and self._retry(build_query(query, relaxed=True)):
            self.relaxed_words = main_words(query)
        elif any_words(query) and self._retry(build_query(query, any_word=True)):
            self.any_words = any_words(query)

    def _retry(self, search: SearchQuery | None) -> bool:
        """Search again with ``search``; keep its results if it found any."""
        previous = self._parts
        self._parts = self._search(search)
        self.__dict__.pop("_counts", None)  # the cached counts were the previous search's
        if self._parts and len(self):
            return True
        self._parts = previous
        self.__dict__.pop("_counts", None)
        return False

    def _search(self, search: SearchQuery | None) -> list[tuple[Any, Any]]:
        # Imported here: content.models imports this module for segment().
        from wagtail.models import Page
        from wagtail.search.backends import get_search_backend

        from content.models import Regulation

        if search is None:
            return []
        pages = Page.objects.live().public().specific()
        pages = pages.in_site(self.site) if self.site else pages.filter(depth__gt=1)
        backend = get_search_backend()
        return [
            (backend.search(search, pages), lambda page: _page_hit(page, self.request)),
            (backend.search(search, Regulation.objects.all()), _regulation_hit),
        ]

    @cached_property
    def _counts(self) -> list[int]:
        return [results.count() for results, _ in self._parts]  # one COUNT query per part

    def __len__(self) -> int:
        return sum(self._counts)

    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        if isinstance(index, int):
            hits = self[index : index + 1]
            if not hits:
                raise IndexError(index)
            return hits[0]
        start, stop, _step = index.indices(len(self))
        hits: list[Hit] = []
        offset = 0
        for (results, to_hit), count in zip(self._parts, self._counts, strict=True):
            low, high = max(start - offset, 0), min(stop - offset, count)
            if low < high:
                hits.extend(to_hit(obj) for obj in results[low:high])
            offset += count
        return hits
