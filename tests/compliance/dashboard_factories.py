"""Small builders for the dashboard, export, report and my-data tests: firms, people in them,
contracts and current ratings, written straight to the database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum.cn import uscc

from lms.accounts.models import (
    Contract,
    Firm,
    FirmKind,
    FirmStatus,
    Membership,
    MembershipRole,
    User,
)
from lms.accounts.roles import Role
from lms.compliance.models import CollectorRating
from tests.conftest import make_user

_numbers = itertools.count(1)


def credit_code(number: int) -> str:
    """A valid unified social credit code (GB 32100-2015 check character) for ``number``."""
    base = f"91110000{number:09d}"
    return base + uscc.calc_check_digit(base)


def make_firm(name: str, kind: str = FirmKind.AGENCY, status: str = FirmStatus.ADMITTED) -> Firm:
    return Firm.objects.create(
        name=name, credit_code=credit_code(next(_numbers)), kind=kind, status=status
    )


def make_manager(email: str, legal_name: str, firm: Firm, **extra) -> User:
    """A firm manager who reads the site in English (tests assert English text)."""
    extra.setdefault("preferred_language", "en")
    user = make_user(email, legal_name, Role.FIRM_MANAGER, **extra)
    Membership.objects.create(user=user, firm=firm, role=MembershipRole.MANAGER)
    return user


def join(
    user: User, firm: Firm, *, employee_number: str = "", role: str = MembershipRole.COLLECTOR
) -> Membership:
    return Membership.objects.create(
        user=user,
        firm=firm,
        role=role,
        employee_number=employee_number,
        active_from=timezone.localdate() - timedelta(days=30),
    )


def make_collector(
    firm: Firm,
    legal_name: str,
    *,
    email: str | None = None,
    phone: str = "",
    employee_number: str | None = None,
) -> User:
    number = next(_numbers)
    user = make_user(
        email or f"collector{number}@example.com", legal_name, Role.COLLECTOR, phone=phone
    )
    if employee_number is None:
        employee_number = f"E{number:05d}"
    join(user, firm, employee_number=employee_number)
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
