"""A firm's flags as people and programs see them: the rating's stored reasons plus the
admission's, which are read at the moment they are shown: ``admission_expired`` from the firm,
and whatever the apps above register on :data:`ADMISSION_FLAGS_HOOK` (the admission review
adds ``condition_overdue`` when a condition of the firm's admission is past its due date).

Why not stored with the rating: the rating is recomputed from collectors' data and knows nothing
about admission decisions, while an admission or one of its conditions lapses at midnight
without any event. Reading them here keeps one rule — a flag asks a person to look; it never
changes the firm's status — and one list of reasons for the dashboard, the API and
re-assessments (README: Compliance rating, Firms). The training-readiness numbers count the
rating's reasons only (:func:`rating_reasons`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext
from wagtail import hooks

from lms.accounts.models import Firm

from . import formula
from .models import FirmRating

ADMISSION_EXPIRED = "admission_expired"
CONDITION_OVERDUE = "condition_overdue"
# Apps above compliance register fn(firm) -> list of admission flag reasons (codes labelled in
# flag_label); compliance cannot import them (README, Architecture).
ADMISSION_FLAGS_HOOK = "firm_admission_flags"
AdmissionFlags = Callable[[Firm], list[str]]


def rating_reasons(rating: FirmRating | None) -> list[str]:
    """The rating's own flag reasons: about the collectors' training, nothing else."""
    return list(rating.flag_reasons) if rating is not None else []


def admission_reasons(firm: Firm) -> list[str]:
    """``admission_expired`` when the admission has lapsed, then the registered apps' reasons."""
    reasons = [ADMISSION_EXPIRED] if firm.admission_expired else []
    provide: AdmissionFlags
    for provide in hooks.get_hooks(ADMISSION_FLAGS_HOOK):
        reasons.extend(code for code in provide(firm) if code not in reasons)
    return reasons


def flag_reasons(firm: Firm, rating: FirmRating | None) -> list[str]:
    """The rating's flag reasons, then the admission's (:func:`admission_reasons`)."""
    reasons = rating_reasons(rating)
    reasons.extend(code for code in admission_reasons(firm) if code not in reasons)
    return reasons


def flag_label(code: str) -> str:
    """A flag reason in plain words, in the active language."""
    if code == ADMISSION_EXPIRED:
        return gettext("The admission decision has expired: a re-assessment is due.")
    if code == CONDITION_OVERDUE:
        return gettext("A condition of the admission is past its due date and not yet met.")
    return formula.flag_reason_label(code)


def rating_of(firm: Firm) -> FirmRating | None:
    return FirmRating.objects.filter(firm=firm).first()
