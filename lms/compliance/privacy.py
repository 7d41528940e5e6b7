"""Personal data (个人信息保护法): the access log of every unmasked view.

Lists show ``138****5678`` and ``张*三`` (:mod:`lms.lib.masking`); a full value is shown only
where the viewer's role or the token's scope allows it, and each such view is recorded in
:class:`PersonalDataAccess`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import PersonalDataAccess


def log_access(
    subjects: Iterable, *, fields: list[str], context: str, viewer=None, token=None
) -> int:
    """Record that ``viewer`` (a user) or ``token`` (an API token) saw ``fields`` of each subject.

    One INSERT for any number of subjects (a roster export logs every row it unmasks).
    """
    rows = [
        PersonalDataAccess(
            subject=subject,
            viewer=viewer if getattr(viewer, "is_authenticated", False) else None,
            token=token,
            fields=list(fields),
            context=context[:200],
        )
        for subject in subjects
    ]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)
