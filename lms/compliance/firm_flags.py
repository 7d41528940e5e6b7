"""A firm's flags as people and programs see them: the rating's stored reasons plus
``admission_expired``, which is read from the firm at the moment it is shown.

Why not stored with the rating: the rating is recomputed from collectors' data and knows nothing
about admission decisions, while an admission lapses at midnight without any event. Reading it
here keeps one rule — a flag asks a person to look; it never changes the firm's status — and one
list of reasons for the dashboard, the API and re-assessments (README: Compliance rating, Firms).
"""

from __future__ import annotations

from django.utils.translation import gettext

from lms.accounts.models import Firm

from . import formula
from .models import FirmRating

ADMISSION_EXPIRED = "admission_expired"


def flag_reasons(firm: Firm, rating: FirmRating | None) -> list[str]:
    """The rating's flag reasons, then ``admission_expired`` when the admission has lapsed."""
    reasons = list(rating.flag_reasons) if rating is not None else []
    if firm.admission_expired and ADMISSION_EXPIRED not in reasons:
        reasons.append(ADMISSION_EXPIRED)
    return reasons


def flag_label(code: str) -> str:
    """A flag reason in plain words, in the active language."""
    if code == ADMISSION_EXPIRED:
        return gettext("The admission decision has expired: a re-assessment is due.")
    return formula.flag_reason_label(code)


def rating_of(firm: Firm) -> FirmRating | None:
    return FirmRating.objects.filter(firm=firm).first()
