"""Starting, moving and ending memberships, keeping the history.

A membership is never rewritten to point at another firm: moving a collector ends the old row
(the day before the move) and starts a new one, in one transaction, so a rating or a finding can
always say which firm someone was with on a given day. The database allows one open membership
per person; these functions turn that rule into clear errors instead of integrity failures.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lms.accounts.models import Firm, Membership, MembershipRole, User
from lms.accounts.roles import Role

ROLE_GROUPS: dict[str, Role] = {
    MembershipRole.COLLECTOR: Role.COLLECTOR,
    MembershipRole.MANAGER: Role.FIRM_MANAGER,
}


def _ensure_group(user: User, role: str) -> None:
    """A collector is in the Collectors group, a manager in Firm managers (scoping needs both)."""
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))


def _check_employee_number(firm: Firm, employee_number: str, exclude_user: User) -> None:
    if not employee_number:
        return
    taken = (
        Membership.objects.filter(firm=firm, employee_number=employee_number, active_to=None)
        .exclude(user=exclude_user)
        .exists()
    )
    if taken:
        raise ValidationError(
            _("Employee number %(number)s is already used by someone else in %(firm)s.")
            % {"number": employee_number, "firm": firm},
            code="employee_number_taken",
        )


def join(
    user: User,
    firm: Firm,
    *,
    role: str = MembershipRole.COLLECTOR,
    employee_number: str = "",
    on: date | None = None,
) -> Membership:
    """Start ``user``'s membership of ``firm``. Someone still with another firm must be moved."""
    on = on or timezone.localdate()
    employee_number = employee_number.strip()
    with transaction.atomic():
        # Lock the person's memberships so two simultaneous joins cannot both pass the check.
        open_rows = list(Membership.objects.select_for_update().filter(user=user, active_to=None))
        if open_rows:
            current = open_rows[0]
            if current.firm_id == firm.pk:
                raise ValidationError(
                    _("%(user)s is already a member of %(firm)s.") % {"user": user, "firm": firm},
                    code="already_member",
                )
            raise ValidationError(
                _(
                    "%(user)s is still a member of another firm. They must leave it first, or "
                    "an administrator can move them."
                )
                % {"user": user},
                code="member_elsewhere",
            )
        _check_employee_number(firm, employee_number, user)
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user,
                    firm=firm,
                    role=role,
                    employee_number=employee_number,
                    active_from=on,
                )
        except IntegrityError as error:  # a race the checks above could not see
            raise ValidationError(
                _(
                    "%(user)s could not join %(firm)s: someone changed their membership at the "
                    "same time. Try again."
                )
                % {"user": user, "firm": firm},
                code="conflict",
            ) from error
        _ensure_group(user, role)
    return membership


def move(
    user: User,
    to_firm: Firm,
    employee_number: str = "",
    on: date | None = None,
    *,
    role: str | None = None,
) -> Membership:
    """Move ``user`` to ``to_firm`` from ``on``: the open membership ends the day before.

    The role stays what it was unless ``role`` is given. Someone with no open membership just
    joins. Both rows change in one transaction, so nobody is ever in two firms or in none.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        current = (
            Membership.objects.select_for_update()
            .filter(user=user, active_to=None)
            .select_related("firm")
            .first()
        )
        if current is None:
            return join(
                user,
                to_firm,
                role=role or MembershipRole.COLLECTOR,
                employee_number=employee_number,
                on=on,
            )
        if current.firm_id == to_firm.pk:
            raise ValidationError(
                _("%(user)s is already a member of %(firm)s.") % {"user": user, "firm": to_firm},
                code="already_member",
            )
        if current.active_from >= on:
            raise ValidationError(
                _("%(user)s joined %(firm)s on %(date)s; a move must start after that day.")
                % {
                    "user": user,
                    "firm": current.firm,
                    "date": date_format(current.active_from, "DATE_FORMAT"),
                },
                code="move_too_early",
            )
        current.end(on - timedelta(days=1))
        return join(
            user,
            to_firm,
            role=role or current.role,
            employee_number=employee_number,
            on=on,
        )


def end(membership: Membership, on: date | None = None) -> Membership:
    """The person left the firm on ``on`` (default today); the row stays as history."""
    on = on or timezone.localdate()
    if membership.active_to is not None:
        raise ValidationError(_("This membership has already ended."), code="already_ended")
    if on < membership.active_from:
        raise ValidationError(
            _("A membership cannot end before it starts (%(date)s).")
            % {"date": date_format(membership.active_from, "DATE_FORMAT")},
            code="ends_before_start",
        )
    membership.end(on)
    return membership
