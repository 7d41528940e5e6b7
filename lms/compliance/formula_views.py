"""The public page that publishes the rating formula (issue 6: documented and explainable)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import formula
from .models import Severity


@require_GET
def rating_formula(request: HttpRequest) -> HttpResponse:
    """GET /ratings/formula/: the formula with every number, read from ``formula`` itself so the
    page cannot drift from what the engine computes."""
    return render(
        request,
        "compliance/formula.html",
        {
            "f": formula,
            "grades": [
                {"grade": grade, "lowest": lowest} for grade, lowest in formula.GRADE_THRESHOLDS
            ],
            "lowest_grade": formula.LOWEST_GRADE,
            "lowest_c": formula.GRADE_THRESHOLDS[-1][1],
            "severities": _severities(),
            "firm_min_certified_percent": f"{formula.FIRM_MIN_CERTIFIED_SHARE * 100:.0f}",
            "firm_max_grade_d_percent": f"{formula.FIRM_MAX_GRADE_D_SHARE * 100:.0f}",
            "overdue_penalty_percent": f"{formula.OVERDUE_PENALTY * 100:.0f}",
        },
    )


def _severities() -> list[dict]:
    return [
        {"label": Severity(code).label, "weight": weight}
        for code, weight in formula.SEVERITY_WEIGHTS.items()
    ]
