"""Small builders for the dashboard, export, report and my-data tests: managers and collectors
of a firm, contracts and current ratings, written straight to the database (firms and
memberships: tests/factories.py)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from lms.accounts.models import (
    Contract,
    Firm,
    MembershipRole,
    User,
)
from lms.accounts.roles import Role
from lms.compliance.models import CollectorRating
from tests.factories import MembershipFactory, UserFactory

_numbers = itertools.count(1)


def make_manager(email: str, legal_name: str, firm: Firm, **extra) -> User:
    """A firm manager who reads the site in English (tests assert English text)."""
    extra.setdefault("preferred_language", "en")
    user = UserFactory(email=email, legal_name=legal_name, role=Role.FIRM_MANAGER, **extra)
    MembershipFactory(
        user=user, firm=firm, role=MembershipRole.MANAGER, active_from=timezone.localdate()
    )
    return user


def make_collector(
    firm: Firm,
    legal_name: str,
    *,
    email: str | None = None,
    phone: str = "",
    employee_number: str | None = None,
) -> User:
    number = next(_numbers)
    user = UserFactory(
        email=email or f"collector{number}@example.com",
        legal_name=legal_name,
        role=Role.COLLECTOR,
        phone=phone,
    )
    if employee_number is None:
        employee_number = f"E{number:05d}"
    MembershipFactory(user=user, firm=firm, employee_number=employee_number)
    return user


def rate(
    user: User,
    *,
    grade: str,
    score: str,
    firm: Firm | None = None,
    certificate_status: str = "valid",
    expires_in_days: int | None = 365,
    components: dict | None = None,
) -> CollectorRating:
    """The collector's current rating, as the rating engine would have stored it."""
    expires = (
        timezone.now() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    rating, _ = CollectorRating.objects.update_or_create(
        user=user,
        defaults={
            "firm": firm,
            "score": Decimal(score),
            "grade": grade,
            "formula_version": "test",
            "components": components or {},
            "certificate_status": certificate_status,
            "certificate_expires_at": expires,
        },
    )
    return rating


def contract(lender: Firm, agency: Firm, *, starts_on: date, ends_on: date | None = None):
    return Contract.objects.create(
        lender=lender, agency=agency, starts_on=starts_on, ends_on=ends_on
    )


def add_role(user: User, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))


def rated_staff(firms: list[Firm], count: int) -> list[User]:
    """``count`` collectors taking turns among ``firms`` (the first to ``firms[0]``), each rated:
    grades A, B, C, D in turn and scores 60, 61, 62...; all with the same phone number."""
    people = []
    for number in range(count):
        firm = firms[number % len(firms)]
        user = make_collector(firm, f"员工{chr(0x4E00 + 37 * number)}", phone="13812345678")
        rate(user, grade="ABCD"[number % 4], score=f"{60 + number}", firm=firm)
        people.append(user)
    return people
