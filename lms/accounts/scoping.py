"""Who a firm manager may see: their own firm's staff, and for a lender's manager also the staff
of the agencies the lender currently contracts with. Every manager-facing view and export goes
through these functions, so the rule lives in one place."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .models import Contract, Firm, FirmKind, Membership, MembershipRole, User
from .roles import Role


def managed_firm(user, on: date | None = None) -> Firm | None:
    """The firm ``user`` manages today (an active manager membership and the manager role)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not user.groups.filter(name=Role.FIRM_MANAGER).exists():
        return None
    membership = (
        Membership.objects.active(on)
        .filter(user=user, role=MembershipRole.MANAGER)
        .select_related("firm")
        .first()
    )
    return membership.firm if membership else None


def visible_firm_ids(firm: Firm | None, on: date | None = None) -> set[int]:
    """The firm itself and, for a lender, the agencies it contracts with on ``on``."""
    if firm is None:
        return set()
    ids = {firm.pk}
    if firm.kind == FirmKind.LENDER:
        ids |= set(
            Contract.objects.current(on).filter(lender=firm).values_list("agency_id", flat=True)
        )
    return ids


def visible_firms(user, on: date | None = None) -> QuerySet[Firm]:
    return Firm.objects.filter(pk__in=visible_firm_ids(managed_firm(user, on), on))


def visible_collectors(user, on: date | None = None) -> QuerySet[User]:
    """Collectors with an active collector membership in a firm ``user`` may see."""
    on = on or timezone.localdate()
    firm_ids = visible_firm_ids(managed_firm(user, on), on)
    if not firm_ids:
        return User.objects.none()
    members = Membership.objects.active(on).filter(
        firm_id__in=firm_ids, role=MembershipRole.COLLECTOR
    )
    return User.objects.filter(pk__in=members.values("user_id"))


def can_see_collector(user, collector: User, on: date | None = None) -> bool:
    return visible_collectors(user, on).filter(pk=collector.pk).exists()


def current_membership(user: User, on: date | None = None) -> Membership | None:
    """The person's active membership (at most one is open at a time)."""
    return Membership.objects.active(on).filter(user=user).select_related("firm").first()
