"""Reading JSON that a request sent: only what the database and the views can take.

``json.loads`` alone accepts three things that later fail as 500s: nesting deep enough to blow
the parser's (or the next ``json.dumps``'s) recursion limit (``"[" * 100000``), ``\\u0000`` in a
string or key (PostgreSQL refuses NUL in ``text`` and ``jsonb``), and ``NaN``/``Infinity``
(not JSON at all; ``int(float("inf"))`` raises ``OverflowError``). :func:`load` refuses them
all with one exception, :class:`InvalidJSON`, a ``ValueError``: a view's existing
``except ValueError`` turns it into its usual 400.
"""

from __future__ import annotations

import json
from typing import Any

# No request this site accepts nests deeper than a few levels; 32 is generous and cheap to walk.
MAX_DEPTH = 32


class InvalidJSON(ValueError):
    """The body is not JSON this site can use (malformed, too deep, NUL, NaN or Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not valid JSON.")


def load(raw: bytes | str) -> Any:
    """The parsed JSON document, or :class:`InvalidJSON` saying why not."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:  # the C parser counts its depth against the recursion limit
        raise InvalidJSON("The JSON is nested too deeply.") from None
    except ValueError as error:  # JSONDecodeError, and UnicodeDecodeError for non-UTF-8 bytes
        raise InvalidJSON(str(error)) from None
    check(data)
    return data


def check(data: Any) -> None:
    """Walk the parsed document without recursion: depth within MAX_DEPTH and no NUL."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidJSON("The JSON contains a NUL character.")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidJSON("The JSON is nested too deeply.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    raise InvalidJSON("The JSON contains a NUL character.")
                stack.append((item, depth + 1))
