"""The rating history chart's time axis: distinct dates inside the plot (the date steps
themselves are tested with lms.lib.charts in tests/lib/test_charts.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from lms.compliance.dashboard.charts import LEFT, RIGHT, WIDTH, History
from lms.compliance.models import RatingSnapshot


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
