"""The rating history chart's time axis: distinct dates at round steps, inside the plot."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.compliance.dashboard.charts import LEFT, RIGHT, WIDTH, History, date_ticks
from lms.compliance.models import RatingSnapshot


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 3, 5), date(2026, 3, 5), ["2026-03-05"]),
        (date(2026, 3, 5), date(2026, 3, 6), ["2026-03-05", "2026-03-06"]),
        (
            date(2026, 3, 5),
            date(2026, 3, 12),
            ["2026-03-05", "2026-03-07", "2026-03-09", "2026-03-11"],
        ),
        (
            date(2026, 1, 1),
            date(2026, 2, 1),
            ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22", "2026-01-29"],
        ),
        (
            date(2025, 12, 20),
            date(2026, 12, 6),
            ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"],
        ),
    ],
)
def test_date_ticks_are_distinct_round_days_within_the_range(first, last, expected):
    assert [f"{day:%Y-%m-%d}" for day in date_ticks(first, last)] == expected


@pytest.mark.parametrize("days", [0, 1, 3, 6, 13, 29, 45, 57, 100, 400, 1200, 4000])
def test_at_most_five_distinct_increasing_ticks_for_any_span(days):
    first = date(2026, 2, 27)
    ticks = date_ticks(first, first + timedelta(days=days))
    assert 1 <= len(ticks) <= 5
    assert ticks == sorted(set(ticks))
    assert first <= ticks[0] and ticks[-1] <= first + timedelta(days=days)


def snapshot(user, when: datetime, score: str) -> RatingSnapshot:
    return RatingSnapshot(user=user, created_at=when, score=Decimal(score), grade="A")


def test_a_history_of_changes_on_one_day_has_no_repeated_axis_labels():
    """Four rating changes on the same morning used to label the axis with that day 4–5 times."""
    morning = timezone.make_aware(datetime(2026, 12, 6, 9, 0))
    snapshots = tuple(snapshot(None, morning + timedelta(minutes=5 * i), "90") for i in range(4))
    chart = History(snapshots).chart(label="Score", now=morning + timedelta(hours=2))
    labels = [tick.label for tick in chart.x_ticks]
    assert labels == ["2026-12-06"]
    assert all(LEFT <= tick.position <= WIDTH - RIGHT for tick in chart.x_ticks)
    markers = chart.series[0].markers
    assert len(markers) == 4
    assert all(LEFT <= marker.x <= WIDTH - RIGHT for marker in markers)


def test_a_long_history_is_labelled_at_month_starts_in_order():
    start = timezone.make_aware(datetime(2026, 1, 10, 12, 0))
    snapshots = (snapshot(None, start, "80"), snapshot(None, start + timedelta(days=200), "70"))
    chart = History(snapshots).chart(label="Score", now=start + timedelta(days=330))
    labels = [tick.label for tick in chart.x_ticks]
    positions = [tick.position for tick in chart.x_ticks]
    assert len(labels) == len(set(labels)) <= 5
    assert all(label.endswith("-01") for label in labels)
    assert positions == sorted(positions)
    assert all(LEFT <= position <= WIDTH - RIGHT for position in positions)
