"""The audit log's signals, received here (lms.auditlog may not import this app).

When an auditor unmasks the personal part of an audit event, the audit log records
``personal_data.viewed`` itself; this adds the look to each person's own access log, which
their "my data" download lists (个人信息保护法 article 45: who saw my data). The rows are
written directly, not through ``privacy.log_access``, which would append a second audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.dispatch import receiver

from lms.auditlog.signals import personal_data_shown

from .models import PersonalDataAccess


@receiver(personal_data_shown, dispatch_uid="compliance.personal_data_shown")
def log_personal_data_shown(
    sender: Any,
    *,
    viewer: Any,
    person_ids: Iterable[int],
    fields: list[str],
    context: str,
    **kwargs: Any,
) -> None:
    """One access row per person the unmasked part names (who still has an account)."""
    viewer = viewer if getattr(viewer, "is_authenticated", False) else None
    existing = get_user_model().objects.filter(pk__in=list(person_ids)).values_list("pk", flat=True)
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(subject_id=pk, viewer=viewer, fields=list(fields), context=context[:200])
        for pk in existing
    )
