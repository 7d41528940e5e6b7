"""Reading an uploaded file in the format it was named with: the one entry point planning uses.

It sits above both parsers, which build on :mod:`.parsed` and never import each other or this
module, so the package has no import cycle to hide inside a function.
"""

from __future__ import annotations

from .gift import parse_gift
from .moodlexml import parse_moodle_xml
from .parsed import GIFT, MOODLE_XML, ParseResult


def parse(data: bytes, fmt: str) -> ParseResult:
    """Parse ``data`` as ``fmt`` (GIFT or Moodle XML); an unknown format is a programming error."""
    if fmt == GIFT:
        return parse_gift(data)
    if fmt == MOODLE_XML:
        return parse_moodle_xml(data)
    raise ValueError(f"unknown format {fmt!r}")
