"""How many questions a file holds, counted cheaply, so the admin can refuse big files early.

The admin import runs inside one web request: parsing, sanitising and checking 120,000 GIFT
questions took 56 s and 735 MB there. The admin screen therefore takes at most
:data:`MAX_ADMIN_QUESTIONS` per upload and points to ``manage.py import_questions`` (which has
no such cap) for more. The count must cost next to nothing, so it does not parse questions:

* GIFT: a question is a block between blank lines with a line that is neither a ``//``
  comment nor a ``$CATEGORY:`` switch — the same blocks :mod:`exams.importing.gift` reads.
* Moodle XML: ``<question>`` elements other than ``type="category"``, counted by expat's
  start-element callback alone (no tree is built); a DTD, which the real parser refuses,
  stops the count.

Both stop as soon as the count passes the limit, so refusing a huge file takes milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.parsers import expat

from .importing import GIFT, MOODLE_XML

MAX_ADMIN_QUESTIONS = 2000
COMMAND = "python manage.py import_questions"

_BLANK_LINE = re.compile(rb"(?:\r\n|\r|\n)[ \t]*(?=\r\n|\r|\n)")


class _Enough(Exception):
    pass


def _blocks(data: bytes) -> Iterator[bytes]:
    """The blank-line separated blocks, one at a time (no list of 120,000 of them)."""
    start = 0
    for match in _BLANK_LINE.finditer(data):
        yield data[start : match.start()]
        start = match.end()
    yield data[start:]


def count_gift(data: bytes, limit: int) -> int:
    """Questions in a GIFT file, counting no further than ``limit + 1``."""
    count = 0
    for block in _blocks(data):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith((b"//", b"$CATEGORY:")):
                count += 1
                break
        if count > limit:
            break
    return count


def count_moodle_xml(data: bytes, limit: int) -> int:
    """``<question>`` elements (not categories) in a Moodle XML file, up to ``limit + 1``."""
    count = 0
    parser = expat.ParserCreate()

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal count
        if tag == "question" and attributes.get("type") != "category":
            count += 1
            if count > limit:
                raise _Enough

    def doctype(*args: object) -> None:
        raise _Enough  # the real parser refuses DTDs; no need to count past one

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except (_Enough, expat.ExpatError):
        pass  # enough counted, or not well-formed: the parser reports that with its line
    return count


def count_questions(data: bytes, fmt: str, limit: int = MAX_ADMIN_QUESTIONS) -> int:
    if fmt == GIFT:
        return count_gift(data, limit)
    if fmt == MOODLE_XML:
        return count_moodle_xml(data, limit)
    raise ValueError(f"unknown format {fmt!r}")
