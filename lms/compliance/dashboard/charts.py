"""The dashboard's charts: certification coverage over time, grades, a collector's rating history.

Why server-rendered SVG: three small charts do not justify a JavaScript library; SVG built here
needs no script, prints, and works on a slow phone. This module computes the geometry and the
data; the templates under ``compliance/dashboard/charts/`` draw it with a ``<title>``, a
``<desc>`` and the same figures as a table for screen readers and for copying. The scales,
tick steps and bar slots come from :mod:`lms.lib.charts`, shared with the exam report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import OuterRef, Subquery
from django.template.defaultfilters import floatformat
from django.utils import timezone

from lms.accounts.models import Firm
from lms.compliance.models import FirmRatingSnapshot, RatingSnapshot
from lms.lib.charts import (
    Frame,
    Tick,
    axis_max,
    bar_boxes,
    date_ticks,
    nice_step,
    scale,
    value_ticks,
)

WIDTH = 560  # line charts (SVG units; the page scales them to its width)
HEIGHT = 260
BAR_WIDTH = 360  # the grade chart has five bars and sits in a narrower column
BAR_HEIGHT = 220
LEFT = 48
RIGHT = 36  # room for the last x label, centred on the axis' end
TOP = 16
BOTTOM = 40
SERIES_CLASSES = 6  # colours in dashboard.css; more series repeat them with a dash pattern
HISTORY_LIMIT = 60  # rating changes drawn on a collector's page (the latest ones)


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str  # what a reader hovering or using a screen reader gets


@dataclass(frozen=True)
class LineSeries:
    name: str
    css_class: str
    path: str  # SVG path data; empty when the series has no values
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    top: float
    plot_right: float
    axis_y: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[LineSeries, ...]

    @property
    def x_label_y(self) -> float:
        return self.axis_y + 18


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float | None]]]],
    *,
    x_domain: tuple[float, float],
    x_ticks: Sequence[tuple[str, float]],
    y_max: float = 100,
    y_suffix: str = "",
    step: bool = False,
    value_format: Callable[[float], str] = lambda value: f"{value:g}",
) -> LineChart:
    """Lines over a numeric x axis (callers map months or times to numbers).

    ``None`` values leave a gap. ``step`` draws a value held until the next one (a rating
    stays what it is until it changes) and carries the last value to the end of the axis.
    """
    frame = Frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
    plot_right, axis_y = frame.plot_right, frame.axis_y

    def x_of(value: float) -> float:
        return scale(value, *x_domain, LEFT, plot_right)

    def y_of(value: float) -> float:
        return scale(min(max(value, 0), y_max), 0, y_max, axis_y, TOP)

    drawn = []
    for index, (name, points) in enumerate(series):
        commands: list[str] = []
        markers: list[Marker] = []
        previous: tuple[float, float] | None = None
        for x_value, y_value in points:
            if y_value is None:
                previous = None
                continue
            x, y = x_of(x_value), y_of(y_value)
            if previous is None:
                commands.append(f"M{x} {y}")
            elif step:
                commands.append(f"H{x} V{y}")
            else:
                commands.append(f"L{x} {y}")
            previous = (x, y)
            markers.append(Marker(x, y, f"{name}: {value_format(y_value)}{y_suffix}"))
        if step and previous is not None:
            commands.append(f"H{plot_right}")
        css = f"chart-series-{index % SERIES_CLASSES}"
        if index >= SERIES_CLASSES:
            css += " chart-series-dashed"
        drawn.append(LineSeries(name, css, " ".join(commands), tuple(markers)))
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot_right=plot_right,
        axis_y=axis_y,
        x_ticks=tuple(Tick(label, x_of(value)) for label, value in x_ticks),
        y_ticks=value_ticks(frame, y_max, nice_step(y_max), suffix=y_suffix),
        series=tuple(drawn),
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    css_class: str
    x: float
    y: float
    width: float
    height: float
    centre: float

    @property
    def value_y(self) -> float:
        return self.y - 6


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    top: float
    plot_right: float
    axis_y: float
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]

    @property
    def label_y(self) -> float:
        return self.axis_y + 18

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)


def bar_chart(items: Sequence[tuple[str, int, str]]) -> BarChart:
    """Vertical bars, one per (label, count, css class), on a 0-based axis of round numbers."""
    frame = Frame(BAR_WIDTH, BAR_HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
    top_value = max([value for _, value, _ in items] + [1])
    step = nice_step(top_value)
    y_max = axis_max(top_value, step)
    boxes = bar_boxes([value for _, value, _ in items], frame, y_max, fill=0.6)
    return BarChart(
        width=BAR_WIDTH,
        height=BAR_HEIGHT,
        left=LEFT,
        top=TOP,
        plot_right=frame.plot_right,
        axis_y=frame.axis_y,
        bars=tuple(
            Bar(label, value, css_class, box.x, box.y, box.width, box.height, box.centre)
            for (label, value, css_class), box in zip(items, boxes, strict=True)
        ),
        y_ticks=value_ticks(frame, y_max, step),
    )


# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageMonth:
    label: str  # "2026-03"
    shares: tuple[float | None, ...]  # percent certified per firm at the month's end, in order

    @property
    def cells(self) -> list[str]:
        """The table's cells ("85%", or "—" without a snapshot), formatted here once: a lender
        with 20 agencies has 252 of them, each a few template tags' work otherwise."""
        return ["—" if share is None else f"{floatformat(share, 0)}%" for share in self.shares]


@dataclass(frozen=True)
class Coverage:
    firms: tuple[Firm, ...]
    months: tuple[CoverageMonth, ...]

    @property
    def is_empty(self) -> bool:
        return all(share is None for month in self.months for share in month.shares)

    def chart(self) -> LineChart:
        series = [
            (
                firm.name,
                [(index, month.shares[position]) for index, month in enumerate(self.months)],
            )
            for position, firm in enumerate(self.firms)
        ]
        return line_chart(
            series,
            x_domain=(0, len(self.months) - 1),
            x_ticks=[
                (month.label, index) for index, month in enumerate(self.months) if index % 2 == 1
            ],
            y_suffix="%",
            value_format=lambda value: f"{value:.0f}",
        )


def coverage(firms: Sequence[Firm], months: int = 12, now: datetime | None = None) -> Coverage:
    """Each firm's share of certified collectors at the end of each of the last ``months``
    months (the current month: now), from FirmRatingSnapshot. One query: per month, the latest
    snapshot before its end (the firm/created_at index answers each)."""
    now = now or timezone.now()
    this_month = timezone.localtime(now).date().replace(day=1)
    starts = [this_month - relativedelta(months=back) for back in range(months - 1, -1, -1)]
    ends = [_local_midnight(start + relativedelta(months=1)) for start in starts]
    ends[-1] = now
    annotations = {
        f"month_{index}": Subquery(
            FirmRatingSnapshot.objects.filter(firm=OuterRef("pk"), created_at__lt=end)
            .order_by("-created_at", "-pk")
            .values("certified_share")[:1]
        )
        for index, end in enumerate(ends)
    }
    values = {
        row["pk"]: row
        for row in Firm.objects.filter(pk__in=[firm.pk for firm in firms])
        .annotate(**annotations)
        .values("pk", *annotations)
    }
    table = []
    for index, start in enumerate(starts):
        shares = []
        for firm in firms:
            share = values.get(firm.pk, {}).get(f"month_{index}")
            shares.append(None if share is None else round(float(share) * 100, 1))
        table.append(CoverageMonth(f"{start:%Y-%m}", tuple(shares)))
    return Coverage(tuple(firms), tuple(table))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


@dataclass(frozen=True)
class History:
    snapshots: tuple[RatingSnapshot, ...]  # oldest first

    @property
    def is_empty(self) -> bool:
        return not self.snapshots

    def chart(self, label: str, now: datetime | None = None) -> LineChart:
        """The score as a step line over whole local days, from the first change's day to today.

        The axis runs from the first day's midnight to the end of today, and is labelled only
        at day starts a round number of days or months apart (:func:`date_ticks`): four equal
        fractions of a short span used to fall on the same day, and the same date was printed
        several times.
        """
        now = now or timezone.now()
        first_day = timezone.localtime(self.snapshots[0].created_at).date()
        last_day = max(timezone.localtime(now).date(), first_day)
        start = _local_midnight(first_day).timestamp()
        end = _local_midnight(last_day + timedelta(days=1)).timestamp()
        ticks = [
            (f"{day:%Y-%m-%d}", _local_midnight(day).timestamp())
            for day in date_ticks(first_day, last_day)
        ]
        points = [(s.created_at.timestamp(), float(s.score)) for s in self.snapshots]
        return line_chart([(label, points)], x_domain=(start, end), x_ticks=ticks, step=True)


def rating_history(user) -> History:
    """The collector's latest rating changes, oldest first (one query)."""
    latest = RatingSnapshot.objects.filter(user=user).order_by("-created_at", "-pk")
    return History(tuple(reversed(latest[:HISTORY_LIMIT])))
