"""Shared builders for firms, memberships and audit findings.

Credit codes are real GB 32100-2015 codes: 17 characters and the check character computed by
python-stdnum, so every firm passes the same validation the admin applies.
"""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum.cn import uscc

from lms.accounts.models import Firm, FirmKind, FirmStatus, Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.compliance import findings
from lms.compliance.models import Finding, FindingCategory, FindingSource, Severity
from tests.conftest import make_user

_numbers = itertools.count(1)


def credit_code(number: int | None = None) -> str:
    """A valid unified social credit code: 91 (enterprise), region 110000, an organisation
    code made from ``number``, then the check character."""
    number = next(_numbers) if number is None else number
    stem = f"91110000{number:09d}"
    return stem + uscc.calc_check_digit(stem)


def make_firm(
    name: str | None = None,
    *,
    kind: str = FirmKind.AGENCY,
    status: str = FirmStatus.ADMITTED,
) -> Firm:
    number = next(_numbers)
    return Firm.objects.create(
        name=name or f"测试机构{number}", credit_code=credit_code(number), kind=kind, status=status
    )


def make_member(
    firm: Firm,
    role: str = MembershipRole.COLLECTOR,
    user: User | None = None,
    *,
    employee_number: str = "",
    active_from: date | None = None,
) -> Membership:
    """An active membership of ``firm`` (a new person unless ``user`` is given), with the role's
    group, as the onboarding service would leave it."""
    if user is None:
        number = next(_numbers)
        user = make_user(f"member{number}@example.com", f"成员{number}")
    group = Role.COLLECTOR if role == MembershipRole.COLLECTOR else Role.FIRM_MANAGER
    user.groups.add(Group.objects.get(name=group))
    return Membership.objects.create(
        user=user,
        firm=firm,
        role=role,
        employee_number=employee_number,
        active_from=active_from or timezone.localdate() - timezone.timedelta(days=30),
    )


def make_finding(
    collector: User,
    *,
    by: User | None = None,
    severity: str = Severity.MAJOR,
    category: str = FindingCategory.UNREASONABLE_HOURS,
    source: str = FindingSource.CALL_REVIEW,
    occurred_on: date | None = None,
    description: str = "晚上十点后多次致电债务人。",
    firm: Firm | None = None,
) -> Finding:
    """An open finding recorded through ``findings.record`` (firm filled in from membership)."""
    return findings.record(
        Finding(
            collector=collector,
            firm=firm,
            occurred_on=occurred_on or timezone.localdate() - timezone.timedelta(days=3),
            source=source,
            category=category,
            severity=severity,
            description=description,
        ),
        by=by,
    )
