"""Every URL pattern the project routes, each with a path that reaches it.

The sign-in tests walk this list instead of a hand-kept one, so a route that a dependency adds
in an upgrade (a second login form, say) is tested the day it appears.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

PASSWORD_INPUT = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b", re.IGNORECASE)
# Tried in order for each path argument the caller gives no value for.
FALLBACK_VALUES = ("1", "x", "")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its dotted name, the view's module, and a path that matches it."""

    name: str
    view_module: str
    path: str
    has_arguments: bool


def routes(values: Mapping[str, str] | None = None) -> list[Route]:
    """Every pattern reachable from ROOT_URLCONF, in resolution order.

    A path argument is filled with ``values[name]`` if given (a real object's id makes a view
    render instead of answering 404), else the first of ``FALLBACK_VALUES`` that matches.
    Patterns that no filling matches are left out (there are none today).
    """
    found = []
    for chain, namespaces in _walk(get_resolver(), (), ()):
        path = _sample_path(chain, values or {})
        if path is None:
            continue
        pattern = chain[-1]
        name = ":".join([*namespaces, pattern.name]) if pattern.name else str(pattern.pattern)
        found.append(
            Route(
                name=name,
                view_module=getattr(pattern.callback, "__module__", ""),
                path=path,
                has_arguments=any(_params(part) for part in chain),
            )
        )
    return found


def serves_password_form(response: HttpResponse) -> bool:
    """Whether an HTML response contains a password input."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode(errors="replace")
    return bool(PASSWORD_INPUT.search(body))


def served_by_allauth(response: HttpResponse) -> bool:
    match = response.resolver_match
    return match is not None and match.func.__module__.startswith("allauth.")


def _walk(resolver: URLResolver, chain: tuple, namespaces: tuple) -> Iterator[tuple[tuple, tuple]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, (*chain, entry), inner)
        elif isinstance(entry, URLPattern):
            yield (*chain, entry), namespaces


def _params(part: URLPattern | URLResolver) -> list[str]:
    return normalize(part.pattern.regex.pattern)[0][1]


def _sample_path(chain: tuple, values: Mapping[str, str]) -> str | None:
    formats = [normalize(part.pattern.regex.pattern)[0] for part in chain]
    names = [name for _format, params in formats for name in params]
    choices = [(values[name],) if name in values else FALLBACK_VALUES for name in names]
    for combination in itertools.product(*choices):
        filled = dict(zip(names, combination, strict=True))
        path = "/" + "".join(template % filled for template, _params in formats)
        if _matches(chain, path):
            return path
    return None


def _matches(chain: tuple, path: str) -> bool:
    rest = path[1:]
    for part in chain:
        match = part.pattern.match(rest)
        if match is None:
            return False
        rest = match[0]
    return rest == ""
