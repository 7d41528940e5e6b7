"""The rating formula (lms/compliance/formula.py) on hand-computed examples.

Every expected number below is worked out by hand in the comment next to it, from the formula
as published: certification 30 + 10 + 10, training 15 + 5, conduct 30 less fading findings.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from lms.compliance import formula, recompute
from lms.compliance.formula import CollectorInputs, FindingFact, ProgrammeStanding

TODAY = date(2026, 7, 1)


def valid(score: str = "92.50", days: int = 365, code: str = "cert") -> ProgrammeStanding:
    expires_on = TODAY + timedelta(days=days)
    return ProgrammeStanding(
        code=code,
        name=f"Programme {code}",
        status="valid",
        score=Decimal(score),
        expires_on=expires_on,
        expires_at=datetime.combine(expires_on, datetime.min.time(), tzinfo=UTC),
    )


def lapsed(status: str, code: str = "lapsed") -> ProgrammeStanding:
    expires_on = TODAY - timedelta(days=10)
    return ProgrammeStanding(
        code=code,
        name=f"Programme {code}",
        status=status,
        expires_on=expires_on,
        expires_at=datetime.combine(expires_on, datetime.min.time(), tzinfo=UTC),
    )


def finding(severity: str, days_ago: int, pk: int = 1) -> FindingFact:
    return FindingFact(pk, severity, TODAY - timedelta(days=days_ago))


def rate(**fields) -> formula.CollectorResult:
    fields.setdefault("programmes", (valid(),))
    fields.setdefault("cpd_hours", Decimal(12))
    return formula.rate_collector(CollectorInputs(today=TODAY, **fields))


def test_a_model_collector_scores_the_hand_computed_total():
    result = rate()
    cert = result.components["certification"]
    # coverage 30 × 1/1 = 30; score (92.50 − 60) / 40 = 0.8125 → 8.125 → 8.13 (half up);
    # expiry 365 days ≥ 60 → 10.
    assert cert["coverage_points"] == 30
    assert cert["exam_score_points"] == 8.13
    assert cert["expiry_points"] == 10
    assert cert["points"] == 48.13
    assert result.components["training"]["points"] == 20  # 15 + 5
    assert result.components["conduct"]["points"] == 30
    assert result.score == Decimal("98.13")
    assert result.grade == "A"
    assert result.certificate_status == formula.CERTIFIED
    assert result.components["formula_version"] == formula.FORMULA_VERSION == "2026.3"


@pytest.mark.parametrize(
    ("days", "points"),
    [(400, 10), (60, 10), (45, 7.5), (30, 5), (1, 0.17), (0, 0)],  # 10 × days / 60
)
def test_expiry_points_fall_linearly_over_the_last_sixty_days(days, points):
    result = rate(programmes=(valid(days=days),))
    assert result.components["certification"]["expiry_points"] == points


@pytest.mark.parametrize(
    ("score", "points"),
    [("60.00", 0), ("55.00", 0), ("80.00", 5), ("100.00", 10), ("70.00", 2.5)],
)
def test_exam_score_points_run_from_sixty_to_a_hundred_percent(score, points):
    result = rate(programmes=(valid(score=score),))
    assert result.components["certification"]["exam_score_points"] == points


def test_coverage_and_score_use_only_valid_required_certificates():
    # Two programmes, one valid (score 80, 20 days left) and one never held:
    # coverage 30 × 1/2 = 15; score (80 − 60) / 40 × 10 = 5; expiry 20 / 60 × 10 = 3.33.
    result = rate(programmes=(valid("80.00", 20, "a"), ProgrammeStanding("b", "Programme b", None)))
    cert = result.components["certification"]
    assert (cert["coverage_points"], cert["exam_score_points"], cert["expiry_points"]) == (
        15,
        5,
        3.33,
    )
    assert cert["missing"] == ["Programme b"]
    assert result.certificate_status == formula.NOT_CERTIFIED


def test_without_a_valid_certificate_certification_scores_nothing():
    result = rate(programmes=(ProgrammeStanding("cert", "Programme", None),))
    assert result.components["certification"]["points"] == 0
    # 0 + 20 + 30 = 50: below 55, so D even with a clean record.
    assert result.score == Decimal("50.00")
    assert result.grade == "D"
    assert result.caps == ()  # never certified is not "lapsed"


def test_with_no_programme_required_nothing_is_missing():
    result = rate(programmes=())
    assert result.components["certification"]["points"] == 50
    assert result.certificate_status == formula.NOTHING_REQUIRED
    assert result.certified


@pytest.mark.parametrize(("overdue", "points"), [(0, 15), (1, 7.5), (2, 0), (5, 0)])
def test_each_overdue_assignment_costs_half_the_assignment_points(overdue, points):
    result = rate(overdue_assignments=overdue)
    assert result.components["training"]["overdue_points"] == points


def test_no_cpd_hours_at_all_earn_no_cpd_points():
    assert rate(cpd_hours=Decimal(0)).components["training"]["points"] == 15


@pytest.mark.parametrize(
    ("severity", "days_ago", "conduct"),
    [
        ("minor", 0, 25),  # 30 − 5 × 1
        ("major", 365, 22.5),  # 30 − 15 × (1 − 365/730) = 30 − 7.5
        ("major", 486, 24.99),  # 15 × (1 − 486/730) = 5.0137 → 5.01
        ("critical", 146, 6),  # 30 × (1 − 146/730) = 24
        ("critical", 729, 29.96),  # 30 × 1/730 = 0.041 → 0.04
        ("critical", 730, 30),  # faded out completely
        ("minor", -3, 25),  # dated in the future: counts fully, no more
    ],
)
def test_findings_fade_linearly_over_two_years(severity, days_ago, conduct):
    result = rate(findings=(finding(severity, days_ago),))
    assert result.components["conduct"]["points"] == conduct


def test_conduct_never_goes_below_zero():
    result = rate(findings=(finding("critical", 0, 1), finding("major", 0, 2)))
    assert result.components["conduct"]["points"] == 0
    assert result.components["conduct"]["deducted"] == 45


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "A"),
        ("85.00", "A"),
        ("84.99", "B"),
        ("70.00", "B"),
        ("69.99", "C"),
        ("55.00", "C"),
        ("54.99", "D"),
        ("0", "D"),
    ],
)
def test_grade_boundaries(score, grade):
    assert formula.grade_for(Decimal(score)) == grade


def test_a_score_of_exactly_85_is_an_a_and_84_99_a_b():
    # Certificate at score 60 (0 points) with a year left: 30 + 0 + 10 = 40; training 20.
    at_60 = (valid(score="60.00"),)
    # A minor finding today: conduct 25 → 85.00.
    exactly = rate(programmes=at_60, findings=(finding("minor", 0),))
    assert (exactly.score, exactly.grade) == (Decimal("85.00"), "A")
    # A major finding 486 days ago deducts 5.01: conduct 24.99 → 84.99.
    below = rate(programmes=at_60, findings=(finding("major", 486),))
    assert (below.score, below.grade) == (Decimal("84.99"), "B")


def test_a_confirmed_critical_finding_caps_the_grade_at_d():
    # 48.13 + 20 + (30 − 30 × (1 − 700/730) = 28.77) = 96.90: an A, capped at D.
    result = rate(findings=(finding("critical", 700, 7),))
    assert result.score == Decimal("96.90")
    assert result.components["uncapped_grade"] == "A"
    assert result.grade == "D"
    assert result.caps == ("critical_finding",)
    assert result.components["caps"][0]["findings"] == [7]


def test_a_faded_critical_finding_no_longer_caps():
    result = rate(findings=(finding("critical", 730),))
    assert result.grade == "A"
    assert result.caps == ()


@pytest.mark.parametrize("status", ["expired", "revoked"])
def test_a_lapsed_required_certificate_caps_the_grade_at_c(status):
    # One programme valid (score 100, a year left), one lapsed: coverage 15, score 10,
    # expiry 10 → 35; + 20 + 30 = 85: an A, capped at C.
    result = rate(programmes=(valid("100.00", 365, "a"), lapsed(status, "b")))
    assert result.score == Decimal("85.00")
    assert result.components["uncapped_grade"] == "A"
    assert result.grade == "C"
    assert result.caps == ("lapsed_certificate",)
    assert result.certificate_status == status


def test_the_caps_combine_to_the_stricter_grade():
    result = rate(
        programmes=(valid("100.00", 365, "a"), lapsed("revoked", "b")),
        findings=(finding("critical", 700),),
    )
    assert result.grade == "D"
    assert set(result.caps) == {"critical_finding", "lapsed_certificate"}


def test_a_superseded_latest_certificate_does_not_cap():
    superseded = ProgrammeStanding("b", "Programme b", "superseded")
    result = rate(programmes=(valid("100.00", 365, "a"), superseded))
    assert result.caps == ()


def test_the_certificate_summary_reports_revoked_before_expired():
    status, expires = formula.certificate_summary((lapsed("expired", "a"), lapsed("revoked", "b")))
    assert status == formula.LAPSED_REVOKED
    assert expires is not None
    status, expires = formula.certificate_summary((valid(days=30, code="a"), valid(days=90)))
    assert status == formula.CERTIFIED
    assert expires.date() == TODAY + timedelta(days=30)


def test_the_inputs_digest_ignores_the_date_but_not_the_inputs():
    one = CollectorInputs(today=TODAY, programmes=(valid(),)).as_json()
    next_day = CollectorInputs(today=TODAY + timedelta(days=1), programmes=(valid(),)).as_json()
    other = CollectorInputs(today=TODAY, programmes=(valid(score="90.00"),)).as_json()
    assert one["digest"] == next_day["digest"]
    assert one["digest"] != other["digest"]
    assert one["as_of"] == "2026-07-01"


def test_the_breakdown_is_explained_in_plain_words():
    result = rate(overdue_assignments=1, findings=(finding("major", 365, 3),))
    with translation.override("en"):
        lines = formula.explain(result.components)
    text = "\n".join(lines)
    assert "Certification: 48.13 of 50 points." in text
    assert "Mean exam score 92.50% (60% earns nothing, 100% earns all): 8.13 of 10 points." in text
    assert "1 overdue assignment: 7.50 of 15 points." in text
    assert "Major finding of 2025-07-01 (weight 15, 50% left after 365 days): −7.50 points." in text
    # 48.13 + 12.50 + 22.50 = 83.13
    assert lines[-1] == "Score 83.13 of 100: grade B."


def test_caps_are_explained():
    result = rate(
        programmes=(valid("100.00", 365, "a"), lapsed("revoked", "b")),
        findings=(finding("critical", 10),),
    )
    with translation.override("en"):
        text = "\n".join(formula.explain(result.components))
    assert "A confirmed critical finding in the last two years caps the grade at D." in text
    assert "An expired or revoked certificate (Programme b) caps the grade at C." in text
    assert text.endswith("Final grade: D.")


def test_the_components_are_json_numbers_that_add_up():
    result = rate(overdue_assignments=1, findings=(finding("minor", 100),))
    parts = result.components
    total = (
        Decimal(str(parts["certification"]["points"]))
        + Decimal(str(parts["training"]["points"]))
        + Decimal(str(parts["conduct"]["points"]))
    )
    assert total == result.score == Decimal(str(parts["score"]))


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        # 8 of 10 certified = 80 %: not below the threshold.
        ({"active_collectors": 10, "certified": 8}, []),
        ({"active_collectors": 10, "certified": 7}, ["certified_share"]),
        # 1 finding per 20 collectors = 5 per 100: not above; 2 = 10 per 100.
        ({"active_collectors": 20, "certified": 20, "findings": 1}, []),
        ({"active_collectors": 20, "certified": 20, "findings": 2}, ["findings_per_100"]),
        # 1 of 10 graded D = 10 %: not above; 2 of 10 is.
        ({"active_collectors": 10, "certified": 10, "grade_counts": {"D": 1}}, []),
        ({"active_collectors": 10, "certified": 10, "grade_counts": {"D": 2}}, ["grade_d_share"]),
        (
            {"active_collectors": 10, "certified": 1, "findings": 3, "grade_counts": {"D": 5}},
            ["certified_share", "findings_per_100", "grade_d_share"],
        ),
        ({"active_collectors": 0, "certified": 0}, []),  # nothing to measure
    ],
)
def test_firm_flags_at_their_thresholds(fields, reasons):
    fields.setdefault("findings", 0)
    fields.setdefault("grade_counts", {})
    result = formula.rate_firm(score_sum=Decimal("0"), **fields)
    assert result.flag_reasons == reasons
    assert result.flagged == bool(reasons)


def test_firm_aggregates_are_rounded_for_display():
    result = formula.rate_firm(
        active_collectors=3,
        certified=2,
        score_sum=Decimal("250.00"),
        findings=1,
        grade_counts={"A": 1, "B": 2},
    )
    assert result.certified_share == Decimal("0.6667")
    assert result.mean_score == Decimal("83.33")
    assert result.findings_per_100 == Decimal("33.33")
    assert result.grade_counts == {"A": 1, "B": 2, "C": 0, "D": 0}


def test_flag_reasons_have_plain_labels():
    with translation.override("en"):
        assert formula.flag_reason_label("certified_share") == (
            "Fewer than 80% of active collectors hold every required certificate."
        )


# --- The public formula page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_formula_page_is_public_and_in_chinese_by_default(client):
    response = client.get(reverse("rating_formula"))

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert formula.FORMULA_VERSION.encode() in response.content


@pytest.mark.django_db
def test_the_formula_page_lists_the_version_and_every_number(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("rating_formula")).content.decode()

    assert "How compliance ratings are computed" in page
    assert f"Formula version <strong>{formula.FORMULA_VERSION}</strong>" in page
    assert "Certification: up to 50 points" in page
    assert "30 × the share of required programmes" in page
    assert "where 60% earns nothing and 100% earns everything" in page
    assert "60 days or more before the earliest" in page
    assert "15 points, less 50% of them for each programme assignment" in page
    assert "5 × min(CPD hours earned in the last 365 days, 12) / 12" in page
    assert "fades in a straight line to nothing after 730 days" in page
    for weight in formula.SEVERITY_WEIGHTS.values():
        assert f"<td>{weight}</td>" in page
    assert "<td>A</td><td>≥ 85</td>" in page
    assert "<td>D</td><td>&lt; 55</td>" in page
    assert "fewer than 80% of its active collectors" in page
    assert "more than 5 confirmed findings per 100 active collectors in the last 365 days" in page
    assert "more than 10% of its active collectors are graded D" in page


@pytest.mark.django_db
def test_the_formula_page_reads_its_numbers_from_the_formula_module(client, monkeypatch):
    monkeypatch.setattr(formula, "FORMULA_VERSION", "2099.9")
    monkeypatch.setattr(formula, "COVERAGE_POINTS", 31)
    monkeypatch.setattr(formula, "SEVERITY_WEIGHTS", {"minor": 4, "major": 16, "critical": 30})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("rating_formula")).content.decode()

    assert "2099.9" in page
    assert "31 × the share of required programmes" in page
    assert "<td>16</td>" in page


def test_the_fast_json_is_the_standard_library_s_text_for_every_kind_of_rating():
    """orjson writes the stored inputs and breakdown (a million a night); what it writes must
    be exactly what ``json.dumps`` writes, or every stored digest would change with it."""
    pick = random.Random(17)
    severities = list(formula.SEVERITY_WEIGHTS)
    checked = 0
    for _ in range(300):
        programmes = tuple(
            pick.choice(
                [
                    valid(f"{pick.randint(6000, 10000) / 100:.2f}", pick.randint(-5, 800), code),
                    lapsed(pick.choice(["expired", "revoked"]), code),
                    ProgrammeStanding(code, f"银行业务规则 {code}", None),
                ]
            )
            for code in ("bank", "law", "pipl")[: pick.randint(0, 3)]
        )
        inputs = CollectorInputs(
            today=TODAY,
            programmes=programmes,
            overdue_assignments=pick.randint(0, 3),
            cpd_hours=Decimal(pick.randint(-200, 3000)) / 100,
            findings=tuple(
                finding(pick.choice(severities), pick.randint(0, 800), pk)
                for pk in range(pick.randint(0, 4))
            ),
        )
        result = formula.rate_collector(inputs)
        text, digest = inputs.as_json_text()
        data = json.loads(text)
        del data["as_of"], data["digest"]
        assert text.startswith(
            json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)[:-1]
        )
        assert recompute._encode(result.components) == json.dumps(
            result.components, separators=(",", ":"), ensure_ascii=False
        )
        checked += 1
    assert checked == 300
