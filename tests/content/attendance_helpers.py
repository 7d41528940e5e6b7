"""Shared builders for the registration tests: collectors of a firm, and a full session."""

from __future__ import annotations

from content.attendance import registration as service
from content.models import ChangeVia, Registration
from lms.accounts.models import MembershipRole
from tests.factories import FirmFactory, MembershipFactory, UserFactory


def staff(firm, count: int = 1, role: str = MembershipRole.COLLECTOR) -> list:
    """``count`` people with an active membership of ``firm``."""
    return [MembershipFactory(firm=firm, role=role).user for _ in range(count)]


def firm_with_manager():
    firm = FirmFactory()
    manager = staff(firm, role=MembershipRole.MANAGER)[0]
    return firm, manager


def fill(session, count: int) -> list[Registration]:
    """Book ``count`` people without a firm (nobody's approval needed)."""
    people = [UserFactory() for _ in range(count)]
    return [service.register(session, p, actor=p, via=ChangeVia.SELF) for p in people]
