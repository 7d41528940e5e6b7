"""Personal data (个人信息保护法): the access log of every unmasked view.

Lists show ``138****5678`` and ``张*三`` (:mod:`lms.lib.masking`); a full value is shown only
where the viewer's role or the token's scope allows it, and each such view is recorded in
:class:`PersonalDataAccess` and, in the same transaction, as one event of the audit log
(``personal_data.viewed``, or ``personal_data.exported`` when the data left the platform in a
file): the access log says who saw whom for the people concerned, the chain proves it was not
edited afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from lms.auditlog import chain

from .models import PersonalDataAccess


def log_access(
    subjects: Iterable,
    *,
    fields: list[str],
    context: str,
    viewer=None,
    token=None,
    export: bool = False,
    firms: Iterable = (),
) -> int:
    """Record that ``viewer`` (a user) or ``token`` (an API token) saw ``fields`` of each subject.

    ``export``: the data was downloaded (a file), not only shown. ``firms``: the firm(s)
    concerned (the token's firm is added). One INSERT for any number of subjects (a roster
    export logs every row it unmasks), and one audit event per call, whose persons are the
    subjects.
    """
    viewer = viewer if getattr(viewer, "is_authenticated", False) else None
    subjects = list(subjects)
    context = context[:200]
    rows = [
        PersonalDataAccess(
            subject=subject, viewer=viewer, token=token, fields=list(fields), context=context
        )
        for subject in subjects
    ]
    if not rows:
        return 0
    concerned = [*firms, token.firm] if token is not None else list(firms)
    with transaction.atomic():
        PersonalDataAccess.objects.bulk_create(rows)
        chain.record(
            "personal_data.exported" if export else "personal_data.viewed",
            subject=subjects[0] if len(subjects) == 1 else None,
            subject_label="" if len(subjects) == 1 else f"{len(subjects)} people",
            actor=token or viewer,
            firms=concerned,
            persons=subjects,
            payload={
                "fields": list(fields),
                "context": context,
                "viewer_kind": "token" if token is not None else "user" if viewer else "none",
                "subjects": len(subjects),
            },
        )
    return len(rows)
