"""How far this session got through signing in, read from what allauth records in it.

allauth keeps a log of the authentication steps of the current session (``password``, ``mfa``,
``password_reset``…; see ``allauth.account.authentication``). Django's ``login()`` alone
records nothing, so a session that carries a user but no allauth record did not come through
allauth's form (a session from before allauth was the only way in, or from a form that has
since been closed) and had neither its rate limit nor its MFA step. For roles that require
MFA, only a session whose log has an ``mfa`` entry has passed the second factor in this login.
(allauth's "trust this browser" option, MFA_TRUST_ENABLED, skips that step and would leave no
``mfa`` entry: it is off, and turning it on would need this rule revisited.)
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from allauth.account.authentication import get_authentication_records

# allauth has no public helper that records a step; this is the function its own flows call.
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import User


class SignInState(enum.Enum):
    """Where a signed-in session of a role that requires MFA stands."""

    # No allauth record: not signed in through allauth; treated as not signed in at all.
    NOT_THROUGH_ALLAUTH = "not-through-allauth"
    # Signed in through allauth, but the user has no authenticator yet: must set one up.
    SECOND_FACTOR_NOT_SET_UP = "second-factor-not-set-up"
    # The user has TOTP but this session never entered a code: must enter one first.
    SECOND_FACTOR_PENDING = "second-factor-pending"
    COMPLETE = "complete"


def sign_in_state(request: HttpRequest, user: User) -> SignInState:
    """This session's state for ``user``. Reads the session and, unless that settles it, the
    user's TOTP authenticator (one query)."""
    records = get_authentication_records(request, user)
    if not records:
        return SignInState.NOT_THROUGH_ALLAUTH
    if not is_mfa_enabled(user, types=[Authenticator.Type.TOTP]):
        return SignInState.SECOND_FACTOR_NOT_SET_UP
    # A TOTP code or a recovery code, at allauth's MFA step or its MFA reauthentication.
    if any(record.get("method") == "mfa" for record in records):
        return SignInState.COMPLETE
    return SignInState.SECOND_FACTOR_PENDING


def record_second_factor_on_activation(
    sender: object, request: HttpRequest | None, user: User, authenticator: Authenticator, **kwargs
) -> None:
    """Counts setting up TOTP as this session's second factor (``authenticator_added``).

    allauth activates TOTP only after the user types a valid code from the new authenticator
    (and, just before, their password again), so the session has proved both factors. Without
    this, a staff member who just set up TOTP would be asked for a code a second time before
    seeing their recovery codes. Recorded through allauth's own log, as its MFA step does.
    """
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    if getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
