"""Training readiness: what the platform itself knows about an agency's collectors, measured
when a re-assessment opens and again when a reviewer starts its review, so the reviewers (and
the questionnaire's metric questions) decide on current numbers.

Nothing here re-implements the compliance rating: the firm's aggregate is refreshed by
``lms.compliance.recompute`` (the same code the nightly job runs) and read from its
``FirmRating``; the flags are the rating's own (``firm_flags.rating_reasons``): ``flag_count``
is about training, so admission flags (``admission_expired``, ``condition_overdue``) are left
out of it — the reviewer sees the admission itself on the application. Only overdue programme
assignments, which the firm rating does not aggregate, are counted here.

The result is JSON (stored in ``Application.readiness``); its metric keys are the values of
:class:`~lms.admission.models.Metric`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import Firm, FirmKind, Membership, MembershipRole
from lms.compliance import firm_flags, recompute

from .models import Metric

REASON = "reassessment"
CENT = Decimal("0.01")


def hundredths(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def measure(firm: Firm) -> dict:
    """The firm's training readiness now: active collectors, certified share (%), mean score,
    flags, confirmed findings and overdue assignments per 100 collectors. A lender has no
    collectors to measure: ``{}``."""
    if firm.kind != FirmKind.AGENCY:
        return {}
    recompute.for_users((), REASON, firm_ids=[firm.pk])
    rating = firm_flags.rating_of(firm)
    reasons = firm_flags.rating_reasons(rating)
    today = timezone.localdate()
    collectors = Membership.objects.active(today).filter(firm=firm, role=MembershipRole.COLLECTOR)
    active = rating.active_collectors if rating is not None else collectors.count()
    overdue = (
        ProgrammeAssignment.objects.overdue(today)
        .filter(firm=firm, user_id__in=collectors.values("user_id"))
        .count()
    )
    per_100 = Decimal(overdue * 100) / active if active else Decimal(0)
    return {
        "active_collectors": active,
        Metric.CERTIFIED_SHARE.value: (
            hundredths(rating.certified_share * 100) if rating is not None else 0.0
        ),
        Metric.MEAN_SCORE.value: hundredths(rating.mean_score) if rating is not None else 0.0,
        Metric.FLAG_COUNT.value: len(reasons),
        "flag_reasons": reasons,
        Metric.FINDINGS_PER_100.value: (
            hundredths(rating.findings_per_100) if rating is not None else 0.0
        ),
        Metric.OVERDUE_PER_100.value: hundredths(per_100),
        "measured_at": timezone.now().isoformat(),
    }


def metric_value(readiness: dict, metric: str) -> Decimal | None:
    """The measured value of ``metric`` for a metric answer, or None when there is nothing to
    measure (a lender, or an agency without active collectors): the question is then left out
    of the weighting, as on a first application (scoring.py)."""
    if not readiness.get("active_collectors") or metric not in readiness:
        return None
    return Decimal(str(readiness[metric])).quantize(CENT, rounding=ROUND_HALF_UP)
