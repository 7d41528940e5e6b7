"""Ratings on the firm's staff list (accounts' onboarding page), through its hooks.

The staff list belongs to ``lms.accounts``, which sits below compliance and must not import it;
a manager still wants each collector's grade, certificate and expiry there, as on the roster.
``wagtail_hooks`` registers these two functions for the list's hooks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet

from lms.accounts.models import Membership, MembershipRole

from .dashboard.roster import CERTIFICATE_STATES, certificate_state_of


def join_ratings(members: QuerySet[Membership]) -> QuerySet[Membership]:
    """Fetch each member's rating with the page of members (no query per row)."""
    return members.select_related("user__rating")


def describe_ratings(memberships: Iterable[Membership], now: datetime.datetime) -> None:
    """Set ``rating``, ``certificate_state`` and ``certificate_label`` on each collector."""
    for membership in memberships:
        if membership.role != MembershipRole.COLLECTOR:
            continue
        rating = getattr(membership.user, "rating", None)
        state = certificate_state_of(rating, now)
        # Not fields: shown by the staff list's template. Membership (lms.accounts) cannot
        # declare them, as accounts may not name compliance's types.
        membership.rating = rating  # type: ignore[attr-defined]
        membership.certificate_state = state  # type: ignore[attr-defined]
        membership.certificate_label = CERTIFICATE_STATES.get(state, state)  # type: ignore[attr-defined]
