"""Starting, moving and ending memberships, keeping the history.

A membership is never rewritten to point at another firm: moving a collector ends the old row
(the day before the move) and starts a new one, in one transaction, so a rating or a finding can
always say which firm someone was with on a given day. The database allows one open membership
per person; these functions turn that rule into clear errors instead of integrity failures.

They are the only writers of memberships, and each start or end is recorded in the audit log
(``membership.started`` / ``membership.ended``) in the same transaction: the firm and the person
are indexed, the employee number (an identifier of the person) goes to the personal part.
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
from lms.auditlog import chain

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


def _label(membership: Membership) -> str:
    """A label naming no one: the firm and the membership's number (the person is indexed)."""
    return f"{membership.firm.name} #{membership.pk}"


def _record(
    event_type: str, membership: Membership, *, by: User | None, via: str, **facts: object
) -> None:
    """``membership.started`` or ``membership.ended``, in the caller's transaction. ``via``
    says how (``join``, ``invitation``, ``admin``, ``move``, ``left``, ``reopened``)."""
    chain.record(
        event_type,
        subject=membership,
        subject_label=_label(membership),
        actor=by,
        firms=[membership.firm],
        persons=[membership.user],
        payload={
            "membership": membership.pk,
            "user": membership.user_id,
            "firm": membership.firm_id,
            "role": membership.role,
            "active_from": membership.active_from,
            "active_to": membership.active_to,
            "via": via,
            **facts,
        },
        personal={"employee_number": membership.employee_number},
    )


def join(
    user: User,
    firm: Firm,
    *,
    role: str = MembershipRole.COLLECTOR,
    employee_number: str = "",
    on: date | None = None,
    by: User | None = None,
    via: str = "join",
    **facts: object,
) -> Membership:
    """Start ``user``'s membership of ``firm``. Someone still with another firm must be moved.

    ``by`` is who started it (default: whoever the request or task is); ``via`` and ``facts``
    say how (``"invitation"`` and its id, ``"move"`` and the ended membership), for the audit
    log.
    """
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
        _record("membership.started", membership, by=by, via=via, **facts)
    return membership


def move(
    user: User,
    to_firm: Firm,
    employee_number: str = "",
    on: date | None = None,
    *,
    role: str | None = None,
    by: User | None = None,
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
                by=by,
                via="admin",
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
        _record("membership.ended", current, by=by, via="move", moved_to_firm=to_firm.pk)
        return join(
            user,
            to_firm,
            role=role or current.role,
            employee_number=employee_number,
            on=on,
            by=by,
            via="move",
            moved_from=current.pk,
        )


def end(membership: Membership, on: date | None = None, *, by: User | None = None) -> Membership:
    """The person left the firm on ``on`` (default today); the row stays as history."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = (
            # Locks the membership row only, not its firm's or person's.
            Membership.objects.select_for_update(of=("self",))
            .select_related("firm", "user")
            .get(pk=membership.pk)
        )
        if locked.active_to is not None:
            raise ValidationError(_("This membership has already ended."), code="already_ended")
        if on < locked.active_from:
            raise ValidationError(
                _("A membership cannot end before it starts (%(date)s).")
                % {"date": date_format(locked.active_from, "DATE_FORMAT")},
                code="ends_before_start",
            )
        locked.end(on)
        _record("membership.ended", locked, by=by, via="left")
    membership.active_to = locked.active_to
    return membership


def correct(
    membership: Membership,
    *,
    employee_number: str,
    active_to: date | None,
    by: User | None = None,
) -> Membership:
    """An administrator's correction of a membership: its employee number and its last day.

    Setting or moving the last day is recorded as ``membership.ended`` (with the previous
    one); clearing it reopens the membership, recorded as ``membership.started``. The admin
    form has checked the dates and numbers (``MembershipEditForm``).
    """
    with transaction.atomic():
        locked = (
            # Locks the membership row only, not its firm's or person's.
            Membership.objects.select_for_update(of=("self",))
            .select_related("firm", "user")
            .get(pk=membership.pk)
        )
        previous = locked.active_to
        locked.employee_number = employee_number.strip()
        locked.active_to = active_to
        locked.save(update_fields=["employee_number", "active_to"])
        if active_to is None and previous is not None:
            _record(
                "membership.started", locked, by=by, via="reopened", previous_active_to=previous
            )
        elif active_to != previous:
            _record("membership.ended", locked, by=by, via="admin", previous_active_to=previous)
    membership.employee_number, membership.active_to = locked.employee_number, locked.active_to
    return membership


def end_for_deleted_account(user: User, *, by: User | None = None) -> None:
    """``user``'s account is being deleted, and their memberships with it (CASCADE): each open
    one is recorded as ended today (``via: account_deleted``), in the deletion's transaction, so
    the audit log keeps what the tables lose. The rows are not saved: they are about to go."""
    today = timezone.localdate()
    with transaction.atomic():
        open_rows = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("firm", "user")
            .filter(user=user, active_to=None)
        )
        for membership in open_rows:
            membership.active_to = max(today, membership.active_from)
            _record("membership.ended", membership, by=by, via="account_deleted")
