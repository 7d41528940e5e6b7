"""Chinese word segmentation for the search index, queries and highlighting: pure text, no ORM.

Kept apart from :mod:`content.search` (which queries the ORM) because page and snippet models
of several apps call :func:`segment` for their ``search_text``: a models module importing the
ORM search would make an import cycle (content.models, courses.models -> content.search ->
content.models).

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

Queries and highlighting
    :func:`query_words`, :func:`main_words` and :func:`any_words` are the words a query is searched
    for (``content.search`` turns them into backend queries); :func:`highlight_terms` is what the
    results mark.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import jieba

from .article_numbers import article_tokens, split_articles

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


def word_text(text: str) -> str:
    """``text`` with punctuation and symbols turned into spaces.

    FTS5 and tsquery have their own syntax (quotes, ``*``, ``&``), and punctuation is never
    indexed anyway.
    """
    return _NOT_WORD.sub(" ", text or "")


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
    no result has every word, :class:`content.search.SiteSearchResults` retries with these, and
    says so. Article numbers are kept whole (their 第 and 条 are not particles).
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
