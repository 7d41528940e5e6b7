"""Certification models: programmes (programme.py), programme assignments (assignment.py),
issuance requests, certificates and reminders (certificate.py).

They lived in ``courses`` and ``exams`` until certification became an app of its own; their
tables kept their names (see ``migrations/0001_initial.py``).
"""

from .assignment import ProgrammeAssignment
from .certificate import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    IssuanceKind,
    IssuanceRequest,
)
from .programme import CertificationProgramme

__all__ = [
    "Certificate",
    "CertificateReminder",
    "CertificateStatus",
    "CertificationProgramme",
    "IssuanceKind",
    "IssuanceRequest",
    "ProgrammeAssignment",
]
