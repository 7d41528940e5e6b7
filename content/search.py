"""Site search over the ORM: Wagtail's search backend queries and the result list.

The words come from :mod:`content.segmentation` (pure text: how Chinese is cut into words, the
article-number tokens, and why); this module turns them into backend queries and searches live
pages and regulations.

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

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelsearch.query import And, Or, PlainText, SearchQuery
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from .article_numbers import ArticleRef, split_articles
from .models import Regulation
from .segmentation import any_words, main_words, query_words, word_text

if TYPE_CHECKING:
    from django.http import HttpRequest
    from wagtail.models import Site


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
    query = word_text(query)
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

    def __iter__(self) -> Iterator[Hit]:
        return iter(self[:])  # a slice per part, not a query per hit

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...
    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        if isinstance(index, int):
            one = self[index : index + 1]
            if not one:
                raise IndexError(index)
            return one[0]
        start, stop, _step = index.indices(len(self))
        hits: list[Hit] = []
        offset = 0
        for (results, to_hit), count in zip(self._parts, self._counts, strict=True):
            low, high = max(start - offset, 0), min(stop - offset, count)
            if low < high:
                hits.extend(to_hit(obj) for obj in results[low:high])
            offset += count
        return hits
