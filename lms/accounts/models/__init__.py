"""Account models: users (user.py), partner firms and memberships (firms.py)."""

from .firms import (
    BanCategory,
    Contract,
    Firm,
    FirmKind,
    FirmStatus,
    FirmStatusChange,
    Invitation,
    Membership,
    MembershipRole,
    TwoPersonRuleError,
)
from .user import User, UserManager, phone_validator

__all__ = [
    "BanCategory",
    "Contract",
    "Firm",
    "FirmKind",
    "FirmStatus",
    "FirmStatusChange",
    "Invitation",
    "Membership",
    "MembershipRole",
    "TwoPersonRuleError",
    "User",
    "UserManager",
    "phone_validator",
]
