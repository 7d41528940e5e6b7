"""The compliance rating formula, version 2026.3: plain functions of plain values, no database.

A collector's score (0–100) is the sum of three components:

* **Certification (50)** — 30 × the share of required programmes (every active certification
  programme) with a valid, unexpired certificate (a suspended certificate is not valid: it
  earns none of these 50 points while suspended, and counts again once reinstated); + 10 ×
  the exam score factor (the mean score of those certificates: 60 % earns nothing, 100 % earns
  everything, linear in between); + 10 × the expiry factor (the fewest days to expiry among
  them: 60 days or more earn everything, linear down to nothing on the day of expiry — 60 days
  is the usual renewal window).
* **Training (20)** — 15 × max(0, 1 − 0.5 × overdue assignments) (two overdue assignments lose
  all 15); + 5 × min(CPD hours earned in the last 365 days, 12) / 12: the hours of the CPD
  ledger (``courses.cpd``: sessions attended, courses completed, staff adjustments, with their
  sign) earned in the 365 days ending today (today included, so the earliest day counted is
  today − 364 days); 12 hours or more earn all 5 points.
* **Conduct (30)** — 30 minus, for each *confirmed* finding, its severity weight (minor 5, major
  15, critical 30) × what is left of it as it fades: 1 − age in days / 730, so a finding fades
  linearly to nothing over two years. Never below 0.

Each part is rounded to 2 decimals (half up) and the score is the sum of the rounded parts, so
the breakdown always adds up. Grade: A ≥ 85, B ≥ 70, C ≥ 55, else D. Caps: a confirmed critical
finding still within its two years caps the grade at D; a required programme whose latest
certificate expired or was revoked (and none is valid) caps it at C.

A firm is flagged for a human decision (its status never changes automatically) when fewer than
80 % of its active collectors hold every required certificate, when it has more than 5 confirmed
findings per 100 active collectors in the last 365 days, or when more than 10 % of its active
collectors are graded D.

Changing any number here changes ratings: bump :data:`FORMULA_VERSION` with it (every snapshot
records the version it was computed with) and update the README section.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import orjson
from django.utils.translation import gettext, ngettext

# 2026.2: a suspended certificate is not valid (issue 13).
# 2026.3: the 5 refresher points follow the CPD hours of the last 365 days (issue 15).
FORMULA_VERSION = "2026.3"

# --- Certification (max 50) ---------------------------------------------------------------------
COVERAGE_POINTS = 30  # × share of required programmes with a valid certificate
EXAM_SCORE_POINTS = 10  # × (mean exam score − 60) / 40, clipped to [0, 1]
EXPIRY_POINTS = 10  # × min(days to the earliest expiry, 60) / 60
CERTIFICATION_MAX = COVERAGE_POINTS + EXAM_SCORE_POINTS + EXPIRY_POINTS
EXAM_SCORE_FLOOR = 60  # the usual pass mark: passing at the bare minimum earns no score points
EXAM_SCORE_CEILING = 100
EXPIRY_FULL_DAYS = 60  # the usual renewal window: renewing inside it loses at most these points

# --- Training (max 20) --------------------------------------------------------------------------
OVERDUE_POINTS = 15  # × max(0, 1 − 0.5 × overdue open assignments)
OVERDUE_PENALTY = Decimal("0.5")  # each overdue assignment costs half: two lose everything
_OVERDUE_PENALTY_PERCENT = int(OVERDUE_PENALTY * 100)
CPD_POINTS = 5  # × min(CPD hours earned within the window, CPD_FULL_HOURS) / CPD_FULL_HOURS
CPD_FULL_HOURS = 12
CPD_WINDOW_DAYS = 365  # the days ending today (included) whose entries count: today − 364 … today
TRAINING_MAX = OVERDUE_POINTS + CPD_POINTS

# --- Conduct (max 30) ---------------------------------------------------------------------------
CONDUCT_MAX = 30
SEVERITY_WEIGHTS = {"minor": 5, "major": 15, "critical": 30}
FADE_DAYS = 730  # a confirmed finding fades linearly to nothing over two years

# --- Grades and caps ----------------------------------------------------------------------------
SCORE_MAX = CERTIFICATION_MAX + TRAINING_MAX + CONDUCT_MAX
GRADE_THRESHOLDS = (("A", 85), ("B", 70), ("C", 55))  # the lowest score of each grade; else D
LOWEST_GRADE = "D"
GRADES = ("A", "B", "C", "D")
CRITICAL_FINDING_CAP = "D"  # a confirmed critical finding within FADE_DAYS
LAPSED_CERTIFICATE_CAP = "C"  # a required programme whose latest certificate expired or was revoked

# --- Firms --------------------------------------------------------------------------------------
FIRM_MIN_CERTIFIED_SHARE = Decimal("0.80")  # flagged below this share holding every certificate
FIRM_MAX_FINDINGS_PER_100 = 5  # flagged above this many confirmed findings per 100 collectors
FIRM_MAX_GRADE_D_SHARE = Decimal("0.10")  # flagged above this share of collectors graded D
FIRM_FINDINGS_WINDOW_DAYS = 365

# What ``CollectorRating.certificate_status`` holds (a summary over the required programmes).
CERTIFIED = "valid"  # every required programme has a valid certificate
LAPSED_EXPIRED = "expired"  # some required programme's latest certificate expired
LAPSED_REVOKED = "revoked"  # ... or was revoked (wins over suspended and expired)
SUSPENDED = "suspended"  # ... or is suspended (wins over expired; no grade cap: reversible)
NOT_CERTIFIED = ""  # some required programme was never certified
NOTHING_REQUIRED = "not_required"  # no active programme: nothing to hold
CERTIFIED_STATUSES = (CERTIFIED, NOTHING_REQUIRED)
_LAPSED = (LAPSED_EXPIRED, LAPSED_REVOKED)  # statuses that cap the grade

# Firm flag reasons (``FirmRating.flag_reasons``).
FLAG_CERTIFIED_SHARE = "certified_share"
FLAG_FINDINGS = "findings_per_100"
FLAG_GRADE_D = "grade_d_share"


def _canonical(data: Any) -> str:
    """Sorted keys, no spaces: equal inputs give equal text (and digest). orjson writes the same
    text as ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` for the
    values the formula produces (tested), several times faster: it runs for every collector."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


CENT = Decimal("0.01")
ZERO = Decimal(0)


def _points(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Inputs -------------------------------------------------------------------------------------


class ProgrammeStanding(NamedTuple):
    """Where a collector stands on one required programme.

    ``status`` is that of their latest certificate of the programme (``"valid"`` only when it
    is valid and unexpired; a valid or suspended one past its expiry that the daily job has not
    marked yet counts as ``"expired"``; ``"suspended"`` is not valid), or None if they never
    held one. ``score`` is the exam score of
    the valid certificate; ``expires_on`` the local date their latest certificate expires
    (``expires_at`` the exact time, for display).

    A named tuple, like :class:`FindingFact`: the nightly recompute builds a few for each of a
    million collectors, and a tuple is several times quicker to build than a frozen dataclass.
    """

    code: str
    name: str
    status: str | None
    score: Decimal | None = None
    expires_on: date | None = None
    expires_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @property
    def lapsed(self) -> bool:
        return self.status in _LAPSED

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "score": float(self.score) if self.score is not None else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


class FindingFact(NamedTuple):
    """A confirmed finding against the collector."""

    id: int
    severity: str
    occurred_on: date

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "occurred_on": self.occurred_on.isoformat(),
        }


class CollectorInputs(NamedTuple):
    """Everything the formula reads about one collector, as of ``today`` (local date)."""

    today: date
    programmes: tuple[ProgrammeStanding, ...] = ()
    overdue_assignments: int = 0
    cpd_hours: Decimal = ZERO  # CPD hours earned in the last CPD_WINDOW_DAYS (2 decimals)
    findings: tuple[FindingFact, ...] = ()

    def as_json(self) -> dict:
        """The inputs as stored with the rating (see :meth:`as_json_text`)."""
        return json.loads(self.as_json_text()[0])

    def as_json_text(self) -> tuple[str, str]:
        """The inputs as stored with the rating, as JSON text, and their digest: a hash of
        everything but the date, so an unchanged collector is recognised the next day."""
        data = {
            "programmes": [p.as_json() for p in self.programmes],
            "overdue_assignments": self.overdue_assignments,
            "cpd_hours": f"{self.cpd_hours:.2f}",
            "findings": [f.as_json() for f in sorted(self.findings, key=lambda f: f.id)],
        }
        canonical = _canonical(data)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        text = f'{canonical[:-1]},"as_of":"{self.today.isoformat()}","digest":"{digest}"}}'
        return text, digest


# --- Collector rating ---------------------------------------------------------------------------


class CollectorResult(NamedTuple):
    """The rating: score, grade (after caps), the JSON breakdown, and the certificate summary."""

    score: Decimal
    grade: str
    components: dict
    certificate_status: str
    certificate_expires_at: datetime | None
    caps: tuple[str, ...] = ()

    @property
    def certified(self) -> bool:
        return self.certificate_status in CERTIFIED_STATUSES


def grade_for(score: Decimal) -> str:
    for grade, lowest in GRADE_THRESHOLDS:
        if score >= lowest:
            return grade
    return LOWEST_GRADE


def worse_grade(first: str, second: str) -> str:
    return max(first, second, key=GRADES.index)


def _cents(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up to a whole number (both ≥ 0).

    Points are computed exactly, in hundredths of a point, with integers: no binary fractions
    and no rounding surprises, and fast enough for the nightly recompute of every collector.
    """
    return (2 * numerator + denominator) // (2 * denominator)


def _score_cents(score: Decimal | None) -> int:
    return int((score or ZERO) * 100)


def certification(programmes: Sequence[ProgrammeStanding], today: date) -> tuple[int, dict]:
    """Certification points (in hundredths) and their breakdown (JSON-ready)."""
    required = len(programmes)
    # ``p.status == "valid"`` rather than ``p.valid``: this runs for every collector, nightly.
    valid = [p for p in programmes if p.status == "valid"]
    count = len(valid)
    mean_score = earliest = days = None
    if not required:
        # Nothing is required, so nothing is missing.
        coverage = COVERAGE_POINTS * 100
        score = EXAM_SCORE_POINTS * 100
        expiry = EXPIRY_POINTS * 100
    else:
        coverage = _cents(COVERAGE_POINTS * 100 * count, required)
        score = expiry = 0
        if valid:
            total = sum([_score_cents(p.score) for p in valid])  # hundredths of a percent
            mean_score = _cents(total, count) / 100
            span = (EXAM_SCORE_CEILING - EXAM_SCORE_FLOOR) * 100 * count
            above_floor = min(span, max(0, total - EXAM_SCORE_FLOOR * 100 * count))
            score = _cents(EXAM_SCORE_POINTS * 100 * above_floor, span)
            earliest = min([p.expires_on for p in valid if p.expires_on], default=today)
            days = (earliest - today).days
            expiry = _cents(
                EXPIRY_POINTS * 100 * min(EXPIRY_FULL_DAYS, max(0, days)), EXPIRY_FULL_DAYS
            )
    points = coverage + score + expiry
    return points, {
        "points": points / 100,
        "max": CERTIFICATION_MAX,
        "required": required,
        "valid": count,
        "missing": [p.name for p in programmes if p.status != "valid"] if count < required else [],
        "coverage_points": coverage / 100,
        "coverage_max": COVERAGE_POINTS,
        "mean_score": mean_score,
        "exam_score_points": score / 100,
        "exam_score_max": EXAM_SCORE_POINTS,
        "expires_on": earliest.isoformat() if earliest else None,
        "days_to_expiry": days,
        "expiry_points": expiry / 100,
        "expiry_max": EXPIRY_POINTS,
    }


def training(overdue: int, cpd_hours: Decimal, today: date) -> tuple[int, dict]:
    """Training points (in hundredths) and their breakdown."""
    left = max(0, 100 - _OVERDUE_PENALTY_PERCENT * overdue)  # percent of the points kept
    overdue_points = _cents(OVERDUE_POINTS * 100 * left, 100)
    full = CPD_FULL_HOURS * 100
    counted = min(full, max(0, int(cpd_hours * 100)))  # hundredths of an hour
    cpd_points = _cents(CPD_POINTS * 100 * counted, full)
    points = overdue_points + cpd_points
    return points, {
        "points": points / 100,
        "max": TRAINING_MAX,
        "overdue_assignments": overdue,
        "overdue_points": overdue_points / 100,
        "overdue_max": OVERDUE_POINTS,
        "cpd_hours": float(cpd_hours),
        "cpd_full_hours": CPD_FULL_HOURS,
        "cpd_points": cpd_points / 100,
        "cpd_max": CPD_POINTS,
    }


def conduct(findings: Iterable[FindingFact], today: date) -> tuple[int, dict]:
    """Conduct points (in hundredths) and the deduction of each confirmed finding not yet
    faded out: weight × (1 − age / FADE_DAYS)."""
    deductions = []
    total = 0
    for finding in sorted(findings, key=lambda f: (f.occurred_on, f.id)):
        age = max(0, (today - finding.occurred_on).days)
        if age >= FADE_DAYS:
            continue
        weight = SEVERITY_WEIGHTS[finding.severity]
        deducted = _cents(weight * 100 * (FADE_DAYS - age), FADE_DAYS)
        total += deducted
        deductions.append(
            {
                "finding": finding.id,
                "severity": finding.severity,
                "occurred_on": finding.occurred_on.isoformat(),
                "age_days": age,
                "weight": weight,
                "remaining": _cents(10_000 * (FADE_DAYS - age), FADE_DAYS) / 10_000,
                "points": deducted / 100,
            }
        )
    points = max(0, CONDUCT_MAX * 100 - total)
    return points, {
        "points": points / 100,
        "max": CONDUCT_MAX,
        "deducted": total / 100,
        "deductions": deductions,
    }


def certificate_summary(
    programmes: Sequence[ProgrammeStanding],
) -> tuple[str, datetime | None]:
    """What the roster and the API show as the collector's certificate status, and the expiry
    that matters: the earliest one when all are valid, else that of the lapsed certificate."""
    if not programmes:
        return NOTHING_REQUIRED, None
    if all(p.status == "valid" for p in programmes):
        return CERTIFIED, min((p.expires_at for p in programmes if p.expires_at), default=None)
    for status in (LAPSED_REVOKED, SUSPENDED, LAPSED_EXPIRED):
        lapsed = [p for p in programmes if p.status == status]
        if lapsed:
            return status, max((p.expires_at for p in lapsed if p.expires_at), default=None)
    return NOT_CERTIFIED, None


def rate_collector(inputs: CollectorInputs) -> CollectorResult:
    """Apply the formula to one collector's inputs."""
    today = inputs.today
    cert_points, cert = certification(inputs.programmes, today)
    train_points, train = training(inputs.overdue_assignments, inputs.cpd_hours, today)
    conduct_points, behave = conduct(inputs.findings, today)
    cents = cert_points + train_points + conduct_points
    score = Decimal(cents).scaleb(-2)
    uncapped = grade_for(score)
    caps: list[dict[str, Any]] = []
    critical = [d["finding"] for d in behave["deductions"] if d["severity"] == "critical"]
    if critical:
        caps.append(
            {"code": "critical_finding", "grade": CRITICAL_FINDING_CAP, "findings": critical}
        )
    lapsed = [p.name for p in inputs.programmes if p.status in _LAPSED]
    if lapsed:
        caps.append(
            {"code": "lapsed_certificate", "grade": LAPSED_CERTIFICATE_CAP, "programmes": lapsed}
        )
    grade = uncapped
    for cap in caps:
        grade = worse_grade(grade, cap["grade"])
    status, expires_at = certificate_summary(inputs.programmes)
    return CollectorResult(
        score=score,
        grade=grade,
        components={
            "formula_version": FORMULA_VERSION,
            "as_of": today.isoformat(),
            "certification": cert,
            "training": train,
            "conduct": behave,
            "score": cents / 100,
            "max": SCORE_MAX,
            "uncapped_grade": uncapped,
            "caps": caps,
            "grade": grade,
        },
        certificate_status=status,
        certificate_expires_at=expires_at,
        caps=tuple(cap["code"] for cap in caps),
    )


# --- Firm rating --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirmResult:
    active_collectors: int
    certified_share: Decimal
    mean_score: Decimal
    findings_per_100: Decimal
    grade_counts: dict[str, int]
    flag_reasons: list[str]

    @property
    def flagged(self) -> bool:
        return bool(self.flag_reasons)


def rate_firm(
    *, active_collectors: int, certified: int, score_sum: Decimal, findings: int, grade_counts: dict
) -> FirmResult:
    """Aggregate a firm's active collectors and decide whether a human should review it.

    Thresholds compare exact fractions (not the rounded figures). A firm with no active
    collectors has nothing to measure and is never flagged.
    """
    counts = {grade: int(grade_counts.get(grade, 0)) for grade in GRADES}
    n = active_collectors
    if not n:
        return FirmResult(0, ZERO.quantize(Decimal("0.0001")), ZERO, ZERO, counts, [])
    reasons = []
    if certified < FIRM_MIN_CERTIFIED_SHARE * n:
        reasons.append(FLAG_CERTIFIED_SHARE)
    if findings * 100 > FIRM_MAX_FINDINGS_PER_100 * n:
        reasons.append(FLAG_FINDINGS)
    if counts["D"] > FIRM_MAX_GRADE_D_SHARE * n:
        reasons.append(FLAG_GRADE_D)
    return FirmResult(
        active_collectors=n,
        certified_share=(Decimal(certified) / n).quantize(Decimal("0.0001"), ROUND_HALF_UP),
        mean_score=_points(Decimal(score_sum) / n),
        findings_per_100=_points(Decimal(findings * 100) / n),
        grade_counts=counts,
        flag_reasons=reasons,
    )


# --- Explanations -------------------------------------------------------------------------------


def _n(value) -> str:
    return f"{Decimal(str(value)):.2f}"


def explain(components: dict) -> list[str]:
    """The breakdown in plain words, in the active language, one line per part.

    Reads a stored ``components`` dict (of this formula version), so any snapshot can be
    explained later exactly as it was computed.
    """
    from lms.compliance.models import Severity

    lines = []
    cert = components["certification"]
    lines.append(
        gettext("Certification: %(points)s of %(max)s points.")
        % {"points": _n(cert["points"]), "max": cert["max"]}
    )
    if cert["required"]:
        lines.append(
            gettext(
                "Valid certificates for %(valid)s of %(required)s required programmes: "
                "%(points)s of %(max)s points."
            )
            % {
                "valid": cert["valid"],
                "required": cert["required"],
                "points": _n(cert["coverage_points"]),
                "max": cert["coverage_max"],
            }
        )
        for name in cert["missing"]:
            lines.append(gettext("No valid certificate for “%(programme)s”.") % {"programme": name})
        if cert["mean_score"] is not None:
            lines.append(
                gettext(
                    "Mean exam score %(score)s%% (%(floor)s%% earns nothing, %(ceiling)s%% "
                    "earns all): %(points)s of %(max)s points."
                )
                % {
                    "score": _n(cert["mean_score"]),
                    "floor": EXAM_SCORE_FLOOR,
                    "ceiling": EXAM_SCORE_CEILING,
                    "points": _n(cert["exam_score_points"]),
                    "max": cert["exam_score_max"],
                }
            )
            lines.append(
                gettext(
                    "Earliest expiry on %(date)s, %(days)s days away (%(full)s days or more "
                    "earn all): %(points)s of %(max)s points."
                )
                % {
                    "date": cert["expires_on"],
                    "days": cert["days_to_expiry"],
                    "full": EXPIRY_FULL_DAYS,
                    "points": _n(cert["expiry_points"]),
                    "max": cert["expiry_max"],
                }
            )
    else:
        lines.append(gettext("No certification programme is required: full points."))

    train = components["training"]
    lines.append(
        gettext("Training: %(points)s of %(max)s points.")
        % {"points": _n(train["points"]), "max": train["max"]}
    )
    overdue = train["overdue_assignments"]
    lines.append(
        ngettext(
            "%(count)s overdue assignment: %(points)s of %(max)s points.",
            "%(count)s overdue assignments: %(points)s of %(max)s points.",
            overdue,
        )
        % {"count": overdue, "points": _n(train["overdue_points"]), "max": train["overdue_max"]}
    )
    if "cpd_points" in train:
        lines.append(
            gettext(
                "%(hours)s CPD hours in the last 12 months (%(full)s or more earn all): "
                "%(points)s of %(max)s points."
            )
            % {
                "hours": _n(train["cpd_hours"]),
                "full": train["cpd_full_hours"],
                "points": _n(train["cpd_points"]),
                "max": train["cpd_max"],
            }
        )
    elif train["last_completion_on"]:  # formula 2026.2 and before
        lines.append(
            gettext("Completed a course on %(date)s, within 12 months: %(points)s points.")
            % {"date": train["last_completion_on"], "points": _n(train["refresher_points"])}
        )
    else:
        lines.append(
            gettext("No course completed in the last 12 months: 0 of %(max)s points.")
            % {"max": train["refresher_max"]}
        )

    behave = components["conduct"]
    lines.append(
        gettext("Conduct: %(points)s of %(max)s points.")
        % {"points": _n(behave["points"]), "max": behave["max"]}
    )
    if not behave["deductions"]:
        lines.append(gettext("No confirmed findings in the last two years."))
    for deduction in behave["deductions"]:
        lines.append(
            gettext(
                "%(severity)s finding of %(date)s (weight %(weight)s, %(left)s%% left after "
                "%(age)s days): −%(points)s points."
            )
            % {
                "severity": Severity(deduction["severity"]).label,
                "date": deduction["occurred_on"],
                "weight": deduction["weight"],
                "left": f"{Decimal(str(deduction['remaining'])) * 100:.0f}",
                "age": deduction["age_days"],
                "points": _n(deduction["points"]),
            }
        )

    lines.append(
        gettext("Score %(score)s of %(max)s: grade %(grade)s.")
        % {
            "score": _n(components["score"]),
            "max": components["max"],
            "grade": components["uncapped_grade"],
        }
    )
    for cap in components["caps"]:
        if cap["code"] == "critical_finding":
            lines.append(
                gettext(
                    "A confirmed critical finding in the last two years caps the grade at "
                    "%(grade)s."
                )
                % {"grade": cap["grade"]}
            )
        elif cap["code"] == "lapsed_certificate":
            lines.append(
                gettext(
                    "An expired or revoked certificate (%(programmes)s) caps the grade at "
                    "%(grade)s."
                )
                % {"programmes": ", ".join(cap["programmes"]), "grade": cap["grade"]}
            )
    if components["caps"]:
        lines.append(gettext("Final grade: %(grade)s.") % {"grade": components["grade"]})
    return lines


def flag_reason_label(code: str) -> str:
    """A firm flag reason in plain words, in the active language."""
    labels = {
        FLAG_CERTIFIED_SHARE: gettext(
            "Fewer than %(share)s%% of active collectors hold every required certificate."
        )
        % {"share": f"{FIRM_MIN_CERTIFIED_SHARE * 100:.0f}"},
        FLAG_FINDINGS: gettext(
            "More than %(count)s confirmed findings per 100 active collectors in the last "
            "12 months."
        )
        % {"count": FIRM_MAX_FINDINGS_PER_100},
        FLAG_GRADE_D: gettext("More than %(share)s%% of active collectors are graded D.")
        % {"share": f"{FIRM_MAX_GRADE_D_SHARE * 100:.0f}"},
    }
    return labels.get(code, code)
