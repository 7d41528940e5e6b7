"""A collector's rating, explained for the dashboard: points per component, then the formula's
own explanation line by line (:func:`lms.compliance.formula.explain`), so the dashboard says
exactly what the published formula says.

A rating stored by an older formula version may not have the structure ``explain`` reads; then
the components are still listed (name, points, maximum) and the explanation is left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from lms.compliance import formula

logger = logging.getLogger(__name__)

LABELS = {
    "certification": _("Certification"),
    "training": _("Training"),
    "conduct": _("Conduct"),
}


@dataclass(frozen=True)
class Component:
    key: str
    name: str
    points: float | None
    max_points: float | None

    @property
    def percent(self) -> int | None:
        if self.points is None or not self.max_points:
            return None
        return max(0, min(100, round(100 * self.points / self.max_points)))


@dataclass(frozen=True)
class Breakdown:
    components: list[Component] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.components or self.lines)


def breakdown(components: Mapping | None) -> Breakdown:
    if not components or not isinstance(components, Mapping):
        return Breakdown()
    rows = [
        Component(
            key=str(key),
            name=str(LABELS.get(key, key)),
            points=_number(value.get("points")),
            max_points=_number(value.get("max")),
        )
        for key, value in sorted(components.items(), key=_order)
        if isinstance(value, Mapping) and "points" in value
    ]
    try:
        lines = [str(line) for line in formula.explain(dict(components))]
    except (KeyError, TypeError, ValueError, AttributeError):
        logger.info("Rating components of another formula version: listed without explanation")
        lines = []
    return Breakdown(rows, lines)


def _order(item) -> tuple[int, str]:
    """The formula's order (PostgreSQL's jsonb does not keep the stored key order)."""
    keys = list(LABELS)
    return (keys.index(item[0]) if item[0] in keys else len(keys), str(item[0]))


def _number(value) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None
