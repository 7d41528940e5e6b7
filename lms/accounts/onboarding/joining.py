"""Joining a firm from the invitation link in one step, and where a new member starts.

A newcomer used to follow the link to allauth's "change password" page, sign in again, accept
on a third page and land on an empty "My learning". Now the invitation page itself asks a new
account for a password (and the legal name, if the firm did not give one): submitting it sets
the password, accepts the invitation and signs the person in, and they land on the first course
of their programme. The invitation token is the proof of mailbox ownership, as a password-reset
key would be, and it is single-use: accepting closes the invitation.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from wagtail import hooks

from lms.accounts.models import Invitation, Membership, MembershipRole, User

from . import invitations

# Apps above accounts say where a new collector starts (certification: the first course of their
# programme). Called as fn(user) -> str | None; the first URL wins, else My learning.
COLLECTOR_START_URL_HOOK = "collector_start_url"


def join_with_password(
    invitation: Invitation, user: User, *, password: str, legal_name: str = ""
) -> Membership:
    """Set the new account's password (and legal name) and accept, all or nothing."""
    with transaction.atomic():
        user.set_password(password)
        fields = ["password"]
        if legal_name and not user.legal_name:
            user.legal_name = legal_name
            fields.append("legal_name")
        user.save(update_fields=fields)
        return invitations.accept(invitation, user)


def start_url(membership: Membership) -> str:
    """Where a person lands after joining: a manager on the firm dashboard; a collector on the
    first course of their programme, or My learning when no programme has a live course."""
    if membership.role == MembershipRole.MANAGER:
        return reverse("dashboard:roster")
    for start_url_of in hooks.get_hooks(COLLECTOR_START_URL_HOOK):
        url = start_url_of(membership.user)
        if url:
            return url
    return reverse("courses:my_learning")
