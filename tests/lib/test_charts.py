"""lms.lib.charts: the chart geometry shared by the compliance dashboard and the exam report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.lib.charts import (
    Frame,
    axis_max,
    bar_boxes,
    date_ticks,
    even_step,
    nice_step,
    scale,
    tick_values,
    value_ticks,
)

FRAME = Frame(width=360, height=220, left=48, right=36, top=16, bottom=40)


def test_a_frame_knows_its_plot_edges():
    assert (FRAME.plot_right, FRAME.axis_y) == (324, 180)


def test_scale_maps_linearly_and_rounds():
    assert scale(5, 0, 10, 0, 100) == 50
    assert scale(1, 0, 3, 180, 16) == 125.3
    assert scale(1, 0, 3, 180, 16, digits=2) == 125.33


def test_scale_of_an_empty_range_is_the_middle():
    assert scale(7, 3, 3, 48, 324) == 186


@pytest.mark.parametrize(
    ("top", "step"),
    [(0, 1), (1, 1), (4, 1), (7, 2), (10, 2), (13, 5), (24, 5), (26, 10), (100, 20), (480, 100)],
)
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(top, step):
    assert nice_step(top) == step
    assert top / step <= 5 or top <= 5


@pytest.mark.parametrize(("top", "step"), [(0, 1), (1, 1), (5, 1), (6, 2), (13, 3), (480, 96)])
def test_even_steps_give_at_most_five_whole_intervals(top, step):
    assert even_step(top) == step


@pytest.mark.parametrize(("top", "step", "end"), [(0, 1, 1), (1, 1, 1), (13, 5, 15), (13, 3, 15)])
def test_the_axis_ends_at_the_first_multiple_of_the_step_at_or_above_the_top(top, step, end):
    assert axis_max(top, step) == end


def test_tick_values_run_from_zero_to_the_top():
    assert tick_values(15, 5) == [0, 5, 10, 15]
    assert tick_values(1, 1) == [0, 1]


def test_value_ticks_are_labelled_and_placed_from_the_axis_up():
    ticks = value_ticks(FRAME, 100, 20, suffix="%")
    assert [tick.label for tick in ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert ticks[0].position == FRAME.axis_y
    assert ticks[-1].position == FRAME.top


def test_a_tick_beyond_the_top_sits_at_the_top_of_the_plot():
    ticks = value_ticks(FRAME, 37, 10)
    assert [tick.label for tick in ticks] == ["0", "10", "20", "30", "40"]
    assert ticks[-1].position == FRAME.top


def test_bars_fill_equal_slots_and_stand_on_the_axis():
    boxes = bar_boxes([0, 5, 10], FRAME, 10, fill=0.5)
    slot = (FRAME.plot_right - FRAME.left) / 3
    assert [box.width for box in boxes] == [round(slot / 2, 1)] * 3
    assert [box.height for box in boxes] == [0, 82.0, 164.0]
    assert all(round(box.y + box.height, 1) == FRAME.axis_y for box in boxes)
    assert [box.centre for box in boxes] == [round(48 + slot * (i + 0.5), 1) for i in range(3)]
    assert boxes[0].x == round(48 + slot / 4, 1)


def test_bar_coordinates_are_rounded_to_the_digits_asked_for():
    frame = Frame(width=640, height=300, left=56, right=16, top=16, bottom=56)
    box = bar_boxes([1, 2], frame, 7, fill=0.7, digits=2)[0]
    assert (box.x, box.width, box.centre) == (98.6, 198.8, 198.0)
    assert (box.height, box.y) == (32.57, 211.43)


def test_no_bars_for_no_values():
    assert bar_boxes([], FRAME, 1, fill=0.6) == []


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
