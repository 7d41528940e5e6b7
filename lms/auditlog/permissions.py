"""Who may read the audit trail in the admin, and who may see the personal data in it.

Two permissions, both granted to the Auditors group by migration 0004 (superusers hold every
permission): ``auditlog.view_auditevent`` opens the trail pages, where people are shown masked;
``auditlog.view_personal_data`` (created by the migration, not in the model's Meta, as the
project's other custom permissions are) lets its holder unmask an event's personal part, and
each such look is itself recorded (``personal_data.viewed``). Kept apart so that a role could
one day read the trail without seeing who is in it.
"""

from __future__ import annotations

from typing import Any

VIEW_TRAIL = "auditlog.view_auditevent"
VIEW_PERSONAL = "auditlog.view_personal_data"


def can_view_trail(user: Any, obj: Any = None) -> bool:
    """Superusers and Auditors. ``obj`` is ignored: the shape of an ``ObjectAction`` check."""
    return bool(user.is_active and user.has_perm(VIEW_TRAIL))


def can_see_personal(user: Any) -> bool:
    return can_view_trail(user) and bool(user.has_perm(VIEW_PERSONAL))
