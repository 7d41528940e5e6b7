"""Typed requests for views that run behind an authentication gate.

Django types ``request.user`` as ``User | AnonymousUser`` because the middleware cannot know which
view runs. Behind ``login_required`` (or ``manager_required``) the view knows more; annotating the
view's request with these classes states that invariant once, instead of asserting it in every
view. They exist for the type checker only: no request is ever an instance of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from lms.accounts.models import Firm, User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has signed in (the view is wrapped in ``login_required``)."""

    user: User


class ManagerHttpRequest(AuthenticatedHttpRequest):
    """A request through ``manager_required``: the signed-in manager's firm is ``request.firm``."""

    firm: Firm
