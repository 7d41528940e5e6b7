"""Admin sign-ins of staff roles, recorded once each in the audit log (``staff.signed_in``).

A trainer's, reviewer's, auditor's or superuser's session counts as signed in only after the
second factor (:mod:`.sign_in`, ``StaffMFARequiredMiddleware``), so the event is written when
the session *becomes* complete, wherever that happens:

* the usual sign-in: password, then allauth's MFA stage, then Django's ``login()``
  (``user_logged_in``: the session's log already has ``password`` and ``mfa``);
* a staff member without TOTP signs in with a password and sets TOTP up (the ``mfa`` step
  recorded on activation, ``authentication_step_completed``);
* a session that was signed in without the code (e.g. after a password reset) and enters it on
  allauth's MFA reauthentication page (``authentication_step_completed``).

Once per sign-in: ``login()`` marks the session "not yet recorded", the first moment it is
complete records the event and marks it recorded, so later reauthentications in the same
session add nothing. A session from Django's ``login()`` without allauth's log (a test's
``force_login``) never becomes complete and is never recorded. The IP address and user agent
are personal data: they go to the event's personal part.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.authentication import get_authentication_records
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from lms.auditlog import chain

from .models import User
from .roles import STAFF_ROLES, requires_mfa, role_names
from .sign_in import SignInState, sign_in_state

# Session flag: False from login() until this sign-in's event is recorded, then True.
RECORDED_KEY = "audit_staff_sign_in_recorded"
USER_AGENT_LENGTH = 300


def sign_in_started(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """``user_logged_in``: a new sign-in of this session; record it if already complete."""
    if request is None or not hasattr(request, "session") or not requires_mfa(user):
        return
    request.session[RECORDED_KEY] = False
    record_if_complete(request, user)


def step_completed(
    sender: Any, request: HttpRequest | None, user: User, method: str = "", **kwargs: Any
) -> None:
    """``authentication_step_completed``: a second factor may have completed the sign-in."""
    if request is None or method != "mfa" or not hasattr(request, "session"):
        return
    record_if_complete(request, user)


def record_if_complete(request: HttpRequest, user: User) -> bool:
    """Record ``staff.signed_in`` if this session has just become fully signed in as ``user``
    and its sign-in is not recorded yet. True when it recorded."""
    if request.session.get(RECORDED_KEY) is not False:
        return False  # recorded already, or no login() seen in this session
    signed_in = getattr(request, "user", None)
    if signed_in is None or not signed_in.is_authenticated or signed_in.pk != user.pk:
        return False  # allauth's MFA stage runs before login(): wait for it
    if not requires_mfa(user) or sign_in_state(request, user) is not SignInState.COMPLETE:
        return False
    methods = [record.get("method", "") for record in get_authentication_records(request, user)]
    with transaction.atomic():
        chain.record(
            "staff.signed_in",
            subject=user,
            actor=user,
            persons=[user],
            payload={
                "user": user.pk,
                "roles": sorted(str(role) for role in role_names(user) & STAFF_ROLES),
                "superuser": user.is_superuser,
                "methods": methods,
            },
            personal={
                "ip": _client_ip(request),
                "user_agent": request.headers.get("user-agent", "")[:USER_AGENT_LENGTH],
            },
        )
    request.session[RECORDED_KEY] = True
    return True


def _client_ip(request: HttpRequest) -> str:
    """The client IP as allauth's rate limits see it (honouring its trusted proxies)."""
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:  # no address at all: allauth refused the sign-in's rate limit too
        return ""
