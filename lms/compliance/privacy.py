"""Personal data (个人信息保护法): masking for lists, exports and the API, and the access log.

Lists show ``138****5678`` and ``张*三``; a full value is shown only where the viewer's role or
the token's scope allows it, and each such view is recorded in :class:`PersonalDataAccess`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import PersonalDataAccess


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (a ``+86`` prefix is kept); short values are starred."""
    if not phone:
        return ""
    prefix = ""
    digits = phone
    if digits.startswith("+86"):
        prefix, digits = "+86", digits[3:]
    if len(digits) < 7:
        return prefix + "*" * len(digits)
    return f"{prefix}{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明; Latin names keep their initials."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    """``zhang.san@example.com`` → ``z*******@example.com``."""
    local, _, domain = (email or "").partition("@")
    if not domain:
        return mask_name(email)
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


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
