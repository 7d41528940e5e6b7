"""Category paths: Moodle's ``$course$/A/B`` to a tuple of names and back, and a bank's
categories by path.

Why apart: parsers, planning, writing and export all address categories by path.
"""

from __future__ import annotations

import re

from ..models import QuestionBank, QuestionCategory

_CONTEXTS = re.compile(r"^\$(course|module|system|cat|coursecategory)\$$")


def split_category_path(path: str) -> tuple[str, ...]:
    """``$course$/top/A/B//C`` → ("A", "B/C"): Moodle escapes a slash in a name as ``//``."""
    parts = [p.replace("\x01", "/").strip() for p in path.replace("//", "\x01").split("/")]
    parts = [p for p in parts if p]
    if parts and _CONTEXTS.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return tuple(parts)


def join_category_path(path: tuple[str, ...]) -> str:
    return "$course$/" + "/".join(name.replace("/", "//") for name in path)


def categories_by_path(bank: QuestionBank) -> dict[tuple[str, ...], QuestionCategory]:
    """Every category of the bank keyed by its path of names. One query."""
    rows = {c.pk: c for c in QuestionCategory.objects.filter(bank=bank)}
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(pk: int) -> tuple[str, ...]:
        if pk not in paths:
            node = rows[pk]
            parent = path_of(node.parent_id) if node.parent_id else ()
            paths[pk] = (*parent, node.name)
        return paths[pk]

    return {path_of(pk): category for pk, category in rows.items()}
