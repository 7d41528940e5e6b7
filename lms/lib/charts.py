"""Geometry for the server-rendered SVG charts: scales, round tick steps, bar slots.

Why one module: the compliance dashboard and the trainers' exam report both draw bar charts
as inline SVG (no chart library: none is installed, and SVG built on the server needs no
script, prints, and carries a title, a description and a data table for screen readers). Both
need the same arithmetic — map a value onto the plot, choose tick values, place bars in equal
slots — and each kept its own copy. Callers choose the tick step (the dashboard's round
1/2/5 steps or the report's ``ceil(top / 5)``) and the rounding of the SVG coordinates, so each
chart still draws exactly what it drew before.

Everything here is in SVG user units, with y growing downwards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class Tick:
    label: str
    position: float  # x or y in SVG units


@dataclass(frozen=True)
class Frame:
    """A chart's canvas and the margins around its plot area."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def axis_y(self) -> int:
        return self.height - self.bottom


@dataclass(frozen=True)
class BarBox:
    """Where one bar goes: its rectangle and the x of its slot's centre (for its label)."""

    x: float
    y: float
    width: float
    height: float
    centre: float


def scale(
    value: float, low: float, high: float, out_low: float, out_high: float, digits: int = 1
) -> float:
    """``value`` mapped linearly from ``[low, high]`` onto ``[out_low, out_high]``, rounded to
    ``digits`` decimals; the middle of the output range when the input range is empty."""
    if high == low:
        return (out_low + out_high) / 2
    return round(out_low + (value - low) * (out_high - out_low) / (high - low), digits)


def nice_step(top: float) -> float:
    """A round tick step (1, 2 or 5 × 10ⁿ) giving at most five intervals up to ``top``."""
    if top <= 0:
        return 1
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(factor * magnitude, 1)
    return 10 * magnitude


def even_step(top: float, intervals: int = 5) -> int:
    """A whole tick step giving at most ``intervals`` intervals up to ``top`` (at least 1)."""
    return max(1, math.ceil(top / intervals))


def axis_max(top: float, step: float) -> float:
    """The end of a 0-based value axis: the first multiple of ``step`` at or above ``top``
    (one step for an empty chart)."""
    return step * max(1, math.ceil(top / step))


def tick_values(top: float, step: float) -> list[float]:
    """``0, step, 2 × step, …`` up to ``top`` (a multiple of ``step``)."""
    count = int(round(top / step))
    return [step * index for index in range(count + 1)]


def value_ticks(
    frame: Frame, top: float, step: float, *, suffix: str = "", digits: int = 1
) -> tuple[Tick, ...]:
    """Ticks of a 0-based vertical axis ending at ``top``, labelled ``5``, ``10%``… (a step
    that does not divide ``top`` puts its last tick at the top of the plot)."""
    return tuple(
        Tick(f"{value:g}{suffix}", scale(min(value, top), 0, top, frame.axis_y, frame.top, digits))
        for value in tick_values(top, step)
    )


def bar_boxes(
    values: Sequence[float], frame: Frame, top: float, *, fill: float, digits: int = 1
) -> list[BarBox]:
    """One bar per value in equal slots across the plot, each ``fill`` of its slot wide and
    centred in it, on a 0-based axis ending at ``top``. Each bar's rounded height is taken
    from the axis, so every bar stands exactly on it."""
    slot = (frame.plot_right - frame.left) / max(len(values), 1)
    plot_height = frame.axis_y - frame.top
    boxes = []
    width = round(slot * fill, digits)
    for index, value in enumerate(values):
        height = round(plot_height * value / top, digits)
        x = round(frame.left + slot * index + (slot - width) / 2, digits)
        boxes.append(
            BarBox(
                x=x,
                y=round(frame.axis_y - height, digits),
                width=width,
                height=height,
                centre=round(x + width / 2, digits),
            )
        )
    return boxes


DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12)


def date_ticks(first: date, last: date, max_ticks: int = 5) -> list[date]:
    """Distinct, increasing days from ``first`` to ``last`` (inclusive) to label a time axis:
    every 1, 2, 7 or 14 days from ``first``, or else the first days of every 1, 2, 3, 6 or 12
    months (or more years) — the smallest step that needs at most ``max_ticks`` labels."""
    span = (last - first).days
    for step in DAY_STEPS:
        if span // step + 1 <= max_ticks:
            return [first + timedelta(days=step * index) for index in range(span // step + 1)]
    month_one = first.replace(day=1)
    if month_one < first:
        month_one += relativedelta(months=1)
    months = (last.year - month_one.year) * 12 + last.month - month_one.month
    steps = [*MONTH_STEPS, 12 * math.ceil(months / (12 * max(max_ticks - 1, 1)))]
    step = next(step for step in steps if months // step + 1 <= max_ticks)
    return [month_one + relativedelta(months=step * index) for index in range(months // step + 1)]
