"""Inviting people to join a firm by email, and accepting.

Why invitations and not memberships straight away: a membership lets the firm's managers follow
the person's certificates and ratings, so it starts only when the person accepts (their consent,
under the personal information protection law). The invitation email is also the proof that the
address is theirs.

The flow:

1. :func:`invite` screens the address (:func:`screen`), creates the account if there is none
   (no usable password, an unverified email address), stores an :class:`Invitation` valid for
   14 days and emails its link, ``/firm/staff/invitations/<token>/``.
2. Following the link verifies the address (only its owner received the token). Someone without a
   usable password chooses one on that same page and joins in one step (``joining``): password
   set, invitation accepted, signed in, landing on their programme's first course.
3. Someone who already has a password signs in and accepts there: :func:`accept` starts the
   membership and adds the Collectors group.

Someone who is an active member of another firm cannot be invited: they must leave it first, or
an administrator moves them (``memberships.move``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import Firm, Invitation, Membership, MembershipRole, User
from lms.accounts.tasks import send_email

from . import memberships

INVITATION_DAYS = 14
EMAIL_TEMPLATES = "accounts/onboarding/email"

# Problems that only mean "nothing to do" (the row is skipped with a note), not errors.
SKIP = "skip"
ERROR = "error"


@dataclass(frozen=True)
class Problem:
    """Why a person cannot (or need not) be invited: shown per row in an import preview."""

    code: str
    field: str  # "email" or "employee_number"
    message: str
    level: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.level == ERROR


def normalise_email(email: str) -> str:
    return email.strip().lower()


def open_invitations(firm: Firm):
    return Invitation.objects.filter(
        firm=firm,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def screen(
    firm: Firm, people: Sequence[tuple[str, str]], on: date | None = None
) -> list[list[Problem]]:
    """For each ``(email, employee_number)``, what stands in the way of inviting them to
    ``firm``. Four queries whatever the number of people, so an import of 2,000 rows is cheap.
    """
    on = on or timezone.localdate()
    emails = {normalise_email(email) for email, _number in people if email}
    numbers = {number.strip() for _email, number in people if number and number.strip()}
    # Current memberships: active today, or open but starting later (either blocks a join).
    current = Membership.objects.filter(user__email__in=emails).filter(
        Q(active_to__isnull=True) | Q(active_to__gte=on)
    )
    firm_of = dict(current.values_list("user__email", "firm_id"))
    invited = set(open_invitations(firm).filter(email__in=emails).values_list("email", flat=True))
    numbers_used = dict(
        Membership.objects.filter(
            firm=firm, active_to__isnull=True, employee_number__in=numbers
        ).values_list("employee_number", "user__email")
    )
    numbers_invited = dict(
        open_invitations(firm)
        .filter(employee_number__in=numbers)
        .values_list("employee_number", "email")
    )
    results = []
    for raw_email, raw_number in people:
        email, number = normalise_email(raw_email), (raw_number or "").strip()
        problems = []
        member_of = firm_of.get(email)
        if member_of is not None and member_of != firm.pk:
            problems.append(
                Problem(
                    "member_elsewhere",
                    "email",
                    _(
                        "%(email)s is an active member of another firm. They must leave it "
                        "first, or an administrator can move them."
                    )
                    % {"email": email},
                )
            )
        elif member_of == firm.pk:
            problems.append(
                Problem(
                    "already_member",
                    "email",
                    _("%(email)s is already a member of your firm.") % {"email": email},
                    SKIP,
                )
            )
        elif email in invited:
            problems.append(
                Problem(
                    "already_invited",
                    "email",
                    _("%(email)s has already been invited and has not answered yet.")
                    % {"email": email},
                    SKIP,
                )
            )
        if number and not any(p.level == SKIP for p in problems):
            holder = numbers_used.get(number) or numbers_invited.get(number)
            if holder and holder != email:
                problems.append(
                    Problem(
                        "employee_number_taken",
                        "employee_number",
                        _("Employee number %(number)s is already used in your firm.")
                        % {"number": number},
                    )
                )
        results.append(problems)
    return results


# --- Sending ------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + path


def invitation_path(invitation: Invitation) -> str:
    return reverse("staff:invitation", args=[invitation.token])


def _send(invitation: Invitation, user: User) -> None:
    """Email the invitation link, in the invitee's language, once the transaction commits."""
    language = user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "invitation": invitation,
            "firm": invitation.firm,
            "name": invitation.legal_name or user.legal_name,
            "url": absolute(invitation_path(invitation)),
            "expires_on": formats.date_format(
                timezone.localtime(invitation.expires_at).date(), "DATE_FORMAT"
            ),
            "needs_password": not user.has_usable_password(),
        }
        subject = render_to_string(f"{EMAIL_TEMPLATES}/invitation_subject.txt", context)
        body = render_to_string(f"{EMAIL_TEMPLATES}/invitation_body.txt", context)
    # DjangoTask.delay_on_commit: celery-types types shared_task as a plain Task.
    send_email.delay_on_commit(  # type: ignore[attr-defined]
        subject=" ".join(subject.split()),
        body=body,
        to=[invitation.email],
    )


def invite(
    firm: Firm,
    *,
    email: str,
    by: User | None,
    legal_name: str = "",
    phone: str = "",
    employee_number: str = "",
    role: str = MembershipRole.COLLECTOR,
) -> Invitation:
    """Invite ``email`` to join ``firm`` and email them the link (see the module docstring).

    Raises ``ValidationError`` (with the code of the :class:`Problem`) when they cannot be
    invited: an active member of another firm, already a member, already invited, or an employee
    number in use.
    """
    email = normalise_email(email)
    employee_number = employee_number.strip()
    problems = screen(firm, [(email, employee_number)])[0]
    if problems:
        raise ValidationError(problems[0].message, code=problems[0].code)
    return issue(
        firm,
        email=email,
        by=by,
        legal_name=legal_name,
        phone=phone,
        employee_number=employee_number,
        role=role,
    )


def issue(
    firm: Firm,
    *,
    email: str,
    by: User | None,
    legal_name: str = "",
    phone: str = "",
    employee_number: str = "",
    role: str = MembershipRole.COLLECTOR,
) -> Invitation:
    """Create and email an invitation for someone :func:`screen` has already passed (the import
    screens all its rows at once, then issues them in one transaction)."""
    email = normalise_email(email)
    now = timezone.now()
    with transaction.atomic():
        # An expired invitation still holds the "one open invitation" slot: close it.
        Invitation.objects.filter(
            firm=firm, email=email, accepted_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=now)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=None, legal_name=legal_name.strip(), phone=phone.strip()
            )
            EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    firm=firm,
                    email=email,
                    legal_name=legal_name.strip(),
                    phone=phone.strip(),
                    employee_number=employee_number.strip(),
                    role=role,
                    token=secrets.token_urlsafe(32),
                    invited_by=by,
                    created_at=now,
                    expires_at=now + timedelta(days=INVITATION_DAYS),
                )
        except IntegrityError as error:  # invited at the same moment by another request
            raise ValidationError(
                _("%(email)s has already been invited and has not answered yet.")
                % {"email": email},
                code="already_invited",
            ) from error
        _send(invitation, user)
    return invitation


def resend(invitation: Invitation) -> Invitation:
    """Send the link again, valid for another 14 days from now."""
    if invitation.accepted_at or invitation.cancelled_at:
        raise ValidationError(_("This invitation is closed."), code="closed")
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["expires_at"])
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        raise ValidationError(_("The invited account no longer exists."), code="no_account")
    _send(invitation, user)
    return invitation


def cancel(invitation: Invitation) -> Invitation:
    """Withdraw an invitation; its link stops working. The account, if created, stays."""
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been accepted."), code="accepted")
    if invitation.cancelled_at is None:
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
    return invitation


# --- Following the link and accepting ---------------------------------------------------------


def invitee(invitation: Invitation) -> User | None:
    return User.objects.filter(email=invitation.email).first()


def verify_email(user: User, email: str) -> None:
    """Mark ``email`` verified: the invitation token reached it, so its owner is ``user``."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=not has_primary)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def accept(invitation: Invitation, user: User) -> Membership:
    """``user`` accepts: the membership starts today and the invitation closes."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("firm").get(pk=invitation.pk)
        )
        if not invitation.is_open:
            raise ValidationError(_("This invitation is no longer open."), code="closed")
        if normalise_email(user.email) != invitation.email:
            raise ValidationError(
                _("This invitation was sent to another email address."), code="wrong_user"
            )
        membership = memberships.join(
            user,
            invitation.firm,
            role=invitation.role,
            employee_number=invitation.employee_number,
            by=user,
            via="invitation",
            invitation=invitation.pk,
        )
        verify_email(user, invitation.email)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        # Fill in what the firm knows and the person has not given yet; never overwrite.
        changed = []
        if not user.legal_name and invitation.legal_name:
            user.legal_name = invitation.legal_name
            changed.append("legal_name")
        if not user.phone and invitation.phone:
            user.phone = invitation.phone
            changed.append("phone")
        if changed:
            user.save(update_fields=changed)
    return membership
