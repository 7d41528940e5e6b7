"""Builders for the platform API and webhook tests: collectors with current ratings, and API
tokens (firms and memberships: tests/factories.py), written straight to the database (no
signal-driven recompute runs in these tests unless a test executes the on-commit callbacks
itself)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from lms.accounts.models import Firm, Membership, User
from lms.accounts.roles import Role
from lms.compliance import formula
from lms.compliance.models import ApiScope, ApiToken, CollectorRating, RatingSnapshot
from tests.factories import MembershipFactory, UserFactory

_numbers = itertools.count(1)
ALL_SCOPES = [ApiScope.COLLECTORS_READ, ApiScope.RATINGS_READ, ApiScope.CERTIFICATES_VERIFY]


def make_collector(
    firm: Firm | None,
    *,
    legal_name: str = "张小三",
    phone: str = "",
    employee_number: str | None = None,
) -> User:
    number = next(_numbers)
    user = UserFactory(
        email=f"collector{number}@example.com",
        legal_name=legal_name,
        role=Role.COLLECTOR,
        phone=phone or f"138{number:08d}",
    )
    if firm is not None:
        MembershipFactory(user=user, firm=firm, employee_number=employee_number or f"E{number:05d}")
    return user


def move(user: User, firm: Firm) -> Membership:
    """End the user's open membership yesterday and start one in ``firm`` today."""
    today = timezone.localdate()
    current = Membership.objects.get(user=user, active_to__isnull=True)
    current.active_from = min(current.active_from, today - timedelta(days=2))
    current.active_to = today - timedelta(days=1)
    current.save(update_fields=["active_from", "active_to"])
    return MembershipFactory(user=user, firm=firm, active_from=today)


def real_components(today: date | None = None) -> tuple[dict, dict]:
    """A breakdown and inputs exactly as the rating formula writes them."""
    today = today or timezone.localdate()
    inputs = formula.CollectorInputs(
        today=today,
        programmes=(
            formula.ProgrammeStanding(
                code="basic",
                name="合规催收从业资格",
                status="valid",
                score=Decimal("92.50"),
                expires_on=today + timedelta(days=300),
            ),
        ),
    )
    return formula.rate_collector(inputs).components, inputs.as_json()


def rate(
    user: User,
    grade: str = "B",
    score: str = "75.00",
    *,
    changed_at=None,
    certificate_status: str = "valid",
    snapshots: int = 0,
) -> CollectorRating:
    """Give ``user`` a current rating (and ``snapshots`` history rows)."""
    now = changed_at or timezone.now()
    components, inputs = real_components()
    membership = Membership.objects.active().filter(user=user).first()
    rating = CollectorRating.objects.create(
        user=user,
        firm=membership.firm if membership else None,
        score=Decimal(score),
        grade=grade,
        formula_version=formula.FORMULA_VERSION,
        components=components,
        inputs=inputs,
        certificate_status=certificate_status,
        certificate_expires_at=now + timedelta(days=300),
        computed_at=now,
        changed_at=now,
    )
    for index in range(snapshots):
        RatingSnapshot.objects.create(
            user=user,
            score=Decimal(score),
            grade=grade,
            formula_version=formula.FORMULA_VERSION,
            components=components,
            inputs=inputs,
            reason=f"event {index}",
            created_at=now - timedelta(days=snapshots - index),
        )
    return rating


def issue_token(firm: Firm, scopes: list[str] | None = None, **fields) -> tuple[ApiToken, str]:
    return ApiToken.issue(
        firm=firm, name=fields.pop("name", "Platform"), scopes=scopes or ALL_SCOPES, **fields
    )


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
