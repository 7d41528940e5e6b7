"""Item analysis as Moodle defines it, checked against numbers worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.analysis import (
    AttemptRecord,
    AttemptScope,
    Flag,
    ItemInfo,
    ItemResponse,
    analyse_items,
    describe_item,
    flags_for,
    item_key,
    select_attempts,
    summarise,
)

# The hand-computed example: 5 attempts × 3 questions. Q1 and Q2 carry 1 mark, Q3 carries 2.
#
#   attempt  Q1  Q2  Q3 | total T
#      1      1   1   2 |   4
#      2      1   0   2 |   3
#      3      1   1   1 |   3
#      4      1   0   1 |   2
#      5      0   1   0 |   1
#
# With x the item mark, r = T − x the rest of the test, and Sxy = Σ(x − x̄)(r − r̄) (the n − 1
# of the covariances cancels in both ratios):
#
# Q1: x = 1,1,1,1,0 (x̄ = .8)   r = 3,2,2,1,1 (r̄ = 1.8)
#     dx = .2,.2,.2,.2,−.8      dr = 1.2,.2,.2,−.8,−.8
#     Sxy = .24+.04+.04−.16+.64 = .8   Sxx = .16+.64 = .8   Srr = 1.44+.04+.04+.64+.64 = 2.8
#     F = .8/1 = 80%   D = .8/√(.8·2.8) = .8/1.49666 = 53.45%
#     sorted x 0,1,1,1,1 (dx −.8,.2,.2,.2,.2), sorted r 1,1,2,2,3 (dr −.8,−.8,.2,.2,1.2)
#     Smax = .64−.16+.04+.04+.24 = .8   DE = .8/.8 = 100%
# Q2: x = 1,0,1,0,1 (x̄ = .6)   r = 3,3,2,2,0 (r̄ = 2)
#     dx = .4,−.6,.4,−.6,.4     dr = 1,1,0,0,−2
#     Sxy = .4−.6+0+0−.8 = −1   Sxx = 1.2   Srr = 1+1+0+0+4 = 6
#     F = 60%   D = −1/√7.2 = −1/2.68328 = −37.27%
#     sorted x 0,0,1,1,1 (dx −.6,−.6,.4,.4,.4), sorted r 0,2,2,3,3 (dr −2,0,0,1,1)
#     Smax = 1.2+0+0+.4+.4 = 2   DE = −1/2 = −50%   → negative discrimination, low efficiency
# Q3: x = 2,2,1,1,0 (x̄ = 1.2)  r = 2,1,2,1,1 (r̄ = 1.4)
#     dx = .8,.8,−.2,−.2,−1.2   dr = .6,−.4,.6,−.4,−.4
#     Sxy = .48−.32−.12+.08+.48 = .6   Sxx = .64+.64+.04+.04+1.44 = 2.8   Srr = 1.2
#     F = 1.2/2 = 60%   D = .6/√(2.8·1.2) = .6/1.83303 = 32.73%
#     sorted x 0,1,1,2,2 (dx −1.2,−.2,−.2,.8,.8), sorted r 1,1,1,2,2 (dr −.4,−.4,−.4,.6,.6)
#     Smax = .48+.08+.08+.48+.48 = 1.6   DE = .6/1.6 = 37.5%
MARKS = {
    "q1": [1, 1, 1, 1, 0],
    "q2": [1, 0, 1, 0, 1],
    "q3": [2, 2, 1, 1, 0],
}
MAX = {"q1": 1, "q2": 1, "q3": 2}


def attempts(count: int = 5, **fields) -> list[AttemptRecord]:
    return [
        AttemptRecord(id=i, user_id=i, number=1, status="submitted", **fields)
        for i in range(1, count + 1)
    ]


def rows_for(marks: dict[str, list], maxima: dict[str, int] | None = None) -> list[ItemResponse]:
    maxima = maxima or MAX
    return [
        ItemResponse(
            attempt_id=attempt,
            item=item,
            position=position,
            mark=None if mark is None else Decimal(mark),
            max_mark=Decimal(maxima[item]),
        )
        for position, (item, column) in enumerate(marks.items(), start=1)
        for attempt, mark in enumerate(column, start=1)
    ]


def by_item(stats) -> dict:
    return {s.item: s for s in stats}


def test_the_hand_computed_example_matches_moodles_definitions():
    stats = by_item(analyse_items(attempts(), rows_for(MARKS), {}))

    got = {
        item: (round(s.facility, 2), round(s.discrimination, 2), round(s.efficiency, 2))
        for item, s in stats.items()
    }
    assert got == {
        "q1": (80.00, 53.45, 100.00),
        "q2": (60.00, -37.27, -50.00),
        "q3": (60.00, 32.73, 37.50),
    }
    assert [s.n for s in stats.values()] == [5, 5, 5]
    assert stats["q1"].flags == ()
    assert stats["q2"].flags == (Flag.NEGATIVE_DISCRIMINATION, Flag.LOW_EFFICIENCY)
    assert stats["q3"].flags == ()


def test_items_are_listed_in_paper_order():
    stats = analyse_items(attempts(), rows_for(MARKS), {})
    assert [s.item for s in stats] == ["q1", "q2", "q3"]


def test_a_single_attempt_has_a_facility_but_no_discrimination_or_efficiency():
    stats = analyse_items(attempts(1), rows_for({"q1": [1], "q2": [0]}), {})

    assert [(s.facility, s.discrimination, s.efficiency, s.flags) for s in stats] == [
        (100.0, None, None, (Flag.TOO_EASY,)),
        (0.0, None, None, (Flag.TOO_HARD,)),
    ]


def test_a_question_everyone_gets_right_has_undefined_indices_and_is_flagged_too_easy():
    marks = {"q1": [1, 1, 1, 1], "q2": [1, 0, 1, 0]}
    stats = by_item(analyse_items(attempts(4), rows_for(marks, {"q1": 1, "q2": 1}), {}))

    assert stats["q1"].facility == 100.0
    assert stats["q1"].discrimination is None
    assert stats["q1"].efficiency is None
    assert stats["q1"].flags == (Flag.TOO_EASY,)
    # The rest of the test is constant for q2 (everyone has q1 right): undefined as well.
    assert stats["q2"].discrimination is None
    assert stats["q2"].efficiency is None


def test_partial_marks_are_exact_so_a_constant_column_has_zero_variance():
    # 1/3 of a mark cannot be held exactly in binary floating point; Decimal → Fraction is.
    marks = {"q1": ["0.3333"] * 3, "q2": [1, 0, 1]}
    stats = by_item(analyse_items(attempts(3), rows_for(marks, {"q1": 1, "q2": 1}), {}))
    assert stats["q1"].discrimination is None
    assert round(stats["q1"].facility, 2) == 33.33


def test_an_unanswered_question_scores_zero_and_counts_as_no_answer():
    info = {"q1": ItemInfo(name="Q1", type="single", choices=((11, "对", True), (12, "错", False)))}
    rows = [
        ItemResponse(1, "q1", 1, Decimal(1), Decimal(1), [11]),
        ItemResponse(2, "q1", 1, Decimal(0), Decimal(1), [12]),
        ItemResponse(3, "q1", 1, None, Decimal(1), None),
        ItemResponse(4, "q1", 1, Decimal(0), Decimal(1), []),
    ]
    (stats,) = analyse_items(attempts(4), rows, info)

    assert stats.facility == 25.0
    assert stats.unanswered == 2
    assert stats.unanswered_percent == 50.0
    assert [(c.text, c.correct, c.count, c.percent) for c in stats.choices] == [
        ("对", True, 1, 25.0),
        ("错", False, 1, 25.0),
    ]


def test_a_question_drawn_into_some_papers_only_is_analysed_over_those():
    rows = rows_for({"q1": [1, 0, 1, 0], "q2": [1, 0, 0, 1]}, {"q1": 1, "q2": 1})
    rows = [r for r in rows if not (r.item == "q2" and r.attempt_id == 4)]
    rows.append(ItemResponse(4, "q9", 2, Decimal(1), Decimal(1)))
    stats = by_item(analyse_items(attempts(4), rows, {}))

    assert (stats["q1"].n, stats["q2"].n, stats["q9"].n) == (4, 3, 1)
    assert round(stats["q2"].facility, 2) == 33.33


def test_facility_scales_each_paper_by_its_own_maximum():
    # The question's mark was changed from 1 to 2 between papers: both got full marks.
    rows = [
        ItemResponse(1, "q1", 1, Decimal(1), Decimal(1)),
        ItemResponse(2, "q1", 1, Decimal(2), Decimal(2)),
    ]
    (stats,) = analyse_items(attempts(2), rows, {})
    assert stats.facility == 100.0


def test_only_the_attempts_considered_are_analysed():
    considered = [a for a in attempts() if a.id != 5]
    stats = by_item(analyse_items(considered, rows_for(MARKS), {}))
    assert stats["q1"].n == 4
    assert stats["q1"].facility == 100.0


@pytest.mark.parametrize(
    ("facility", "discrimination", "efficiency", "expected"),
    [
        (5.0, 0.0, 15.0, ()),
        (95.0, 30.0, 40.0, ()),
        (4.99, 30.0, 40.0, (Flag.TOO_HARD,)),
        (95.01, 30.0, 40.0, (Flag.TOO_EASY,)),
        (50.0, -0.01, 40.0, (Flag.NEGATIVE_DISCRIMINATION,)),
        (50.0, 30.0, 14.99, (Flag.LOW_EFFICIENCY,)),
        (None, None, None, ()),
    ],
)
def test_flags_use_moodles_thresholds(facility, discrimination, efficiency, expected):
    assert flags_for(facility, discrimination, efficiency) == expected


def test_first_attempt_scope_keeps_each_candidates_first_finished_attempt():
    records = [
        AttemptRecord(1, user_id=7, number=1, status="timed_out"),
        AttemptRecord(2, user_id=7, number=2, status="submitted"),
        AttemptRecord(3, user_id=8, number=2, status="submitted"),
        AttemptRecord(4, user_id=8, number=1, status="submitted"),
        AttemptRecord(5, user_id=9, number=1, status="in_progress"),
    ]
    assert [a.id for a in select_attempts(records, AttemptScope.FIRST)] == [1, 4]
    assert [a.id for a in select_attempts(records, AttemptScope.ALL)] == [1, 2, 3, 4]


def test_the_summary_counts_attempts_and_bands_the_scores_in_tens():
    records = [
        AttemptRecord(1, 1, 1, "submitted", Decimal("100.00"), True),
        AttemptRecord(2, 2, 1, "submitted", Decimal("85.50"), True),
        AttemptRecord(3, 3, 1, "timed_out", Decimal("40.00"), False),
        AttemptRecord(4, 4, 1, "submitted", Decimal("0.00"), False),
        AttemptRecord(5, 4, 2, "submitted", Decimal("90.00"), True),
        AttemptRecord(6, 5, 1, "in_progress"),
    ]
    considered = select_attempts(records, AttemptScope.FIRST)
    summary = summarise(records, considered)

    assert (summary.attempts, summary.finished, summary.in_progress) == (6, 5, 1)
    assert (summary.candidates, summary.considered, summary.passed) == (5, 4, 2)
    assert summary.candidates_passed == 3
    assert summary.pass_rate == 50.0
    assert summary.mean_percent == pytest.approx((100 + 85.5 + 40 + 0) / 4)
    assert summary.median_percent == pytest.approx((40 + 85.5) / 2)
    assert [b.count for b in summary.bands] == [1, 0, 0, 0, 1, 0, 0, 0, 1, 1]
    assert (summary.bands[0].low, summary.bands[-1].high) == (0, 100)


def test_the_summary_of_an_exam_nobody_finished_has_no_rates():
    summary = summarise([AttemptRecord(1, 1, 1, "in_progress")], [])
    assert (summary.pass_rate, summary.mean_percent, summary.median_percent) == (None, None, None)
    assert sum(b.count for b in summary.bands) == 0


def test_versions_of_a_question_are_one_item_with_the_newest_wording():
    newest = {
        "name": "催收时间",
        "type": "single",
        "choices": [
            {"id": 1, "text": "8:00–21:00", "fraction": "1.0000000"},
            {"id": 2, "text": "任何时间", "fraction": "0.0000000"},
        ],
    }
    older = {
        "name": "旧题目",
        "type": "single",
        "choices": [
            {"id": 1, "text": "白天", "fraction": "1.0000000"},
            {"id": 3, "text": "深夜", "fraction": "0.0000000"},
        ],
    }
    info = describe_item([newest, older], case={"name": "案例一"})

    assert (info.name, info.type, info.case_name) == ("催收时间", "single", "案例一")
    assert info.choices == ((1, "8:00–21:00", True), (2, "任何时间", False), (3, "深夜", False))
    assert item_key(12, 99) == "q12"
    assert item_key(None, 99) == "v99"
