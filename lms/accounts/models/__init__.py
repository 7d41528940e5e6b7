"""Account models: users (user.py), partner firms and memberships (firms.py)."""

from .firms import (
    Contract,
    Firm,
    FirmKind,
    FirmStatus,
    FirmStatusChange,
    Invitation,
    Membership,
    MembershipRole,
)
from .user import User, UserManager, phone_validator

__all__ = [
    "Contract",
    "Firm",
    "FirmKind",
    "FirmStatus",
    "FirmStatusChange",
    "Invitation",
    "Membership",
    "MembershipRole",
    "User",
    "UserManager",
    "phone_validator",
]
