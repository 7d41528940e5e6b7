"""The training component counts CPD hours (formula 2026.3, issue 15): 5 × min(hours in the
365 days ending today, 12) / 12, exactly in hundredths; the nightly recompute reads the ledger
in one aggregate query; the formula page and the rating's explanation say so."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import CPDEntry, CPDSource
from lms.compliance import formula, recompute
from lms.compliance.formula import CollectorInputs
from lms.compliance.models import CollectorRating, RatingSnapshot
from tests.factories import FirmFactory, MembershipFactory

TODAY = date(2026, 12, 7)


def training(hours) -> dict:
    inputs = CollectorInputs(today=TODAY, cpd_hours=Decimal(hours))
    return formula.rate_collector(inputs).components["training"]


def test_the_version_is_bumped_for_cpd_hours():
    assert formula.FORMULA_VERSION == "2026.3"
    assert formula.TRAINING_MAX == 20


@pytest.mark.parametrize(
    ("hours", "points"),
    [
        ("0", 0),
        ("-2", 0),  # a ledger corrected below zero earns nothing, never a negative
        ("1", 0.42),  # 5 × 1/12 = 0.41666… → 0.42 (half up)
        ("3", 1.25),
        ("7.25", 3.02),  # 5 × 7.25 / 12 = 3.0208… → 3.02
        ("12", 5),
        ("40", 5),
    ],
)
def test_cpd_points_grow_with_the_hours_up_to_twelve(hours, points):
    train = training(hours)
    assert train["cpd_points"] == points
    assert train["points"] == 15 + points
    assert train["cpd_max"] == 5 and train["cpd_full_hours"] == 12


def test_the_inputs_and_their_digest_carry_the_hours():
    with_hours = CollectorInputs(today=TODAY, cpd_hours=Decimal("3.5"))
    without = CollectorInputs(today=TODAY)
    assert with_hours.as_json()["cpd_hours"] == "3.50"
    assert with_hours.as_json_text()[1] != without.as_json_text()[1]
    # The digest leaves the date out: the same hours the next day are recognised unchanged.
    next_day = CollectorInputs(today=TODAY + timedelta(days=1), cpd_hours=Decimal("3.5"))
    assert next_day.as_json_text()[1] == with_hours.as_json_text()[1]


@translation.override("en")
def test_the_explanation_states_the_hours_and_old_snapshots_still_explain():
    components = formula.rate_collector(
        CollectorInputs(today=TODAY, cpd_hours=Decimal(6))
    ).components
    lines = formula.explain(components)
    assert "6.00 CPD hours in the last 12 months (12 or more earn all): 2.50 of 5 points." in lines
    old = dict(components)
    old["training"] = {
        "points": 15,
        "max": 20,
        "overdue_assignments": 0,
        "overdue_points": 15,
        "overdue_max": 15,
        "last_completion_on": None,
        "refresher_points": 0,
        "refresher_max": 5,
    }
    assert "No course completed in the last 12 months: 0 of 5 points." in formula.explain(old)


@pytest.mark.django_db
def test_the_formula_page_describes_the_cpd_points(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("rating_formula")).text
    assert "Formula version <strong>2026.3</strong>" in page
    assert "5 × min(CPD hours earned in the last 365 days, 12) / 12" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("rating_formula")).text
    assert "过去 365 天内取得的继续教育学时" in page


@pytest.mark.django_db
def test_the_recompute_counts_hours_in_the_window_with_corrections(trainer):
    firm = FirmFactory()
    collector = MembershipFactory(firm=firm).user
    today = timezone.localdate()

    def entry(hours, days_ago):
        CPDEntry.objects.create(
            user=collector,
            source=CPDSource.ADJUSTMENT,
            hours=Decimal(hours),
            earned_on=today - timedelta(days=days_ago),
            reason="测试",
            created_by=trainer,
        )

    entry(6, 0)
    entry(6, 364)  # the window's first day: the 365 days ending today
    entry(-3, 100)  # a correction
    entry(20, 365)  # a day too old (the window is 365 days, not 366)
    recompute.full(reason="nightly")

    rating = CollectorRating.objects.get(user=collector)
    assert rating.components["training"]["cpd_hours"] == 9
    assert rating.components["training"]["cpd_points"] == 3.75
    assert rating.formula_version == "2026.3"
    snapshot = RatingSnapshot.objects.get(user=collector)
    assert snapshot.inputs["cpd_hours"] == "9.00"

    # Nothing changed: the nightly run writes nothing.
    outcome = recompute.full(reason="nightly")
    assert (outcome.changed, outcome.refreshed) == (0, 0)
    entry(3, 1)
    outcome = recompute.full(reason="nightly")
    assert outcome.changed == 1
    assert CollectorRating.objects.get(user=collector).components["training"]["cpd_points"] == 5
