"""Certification models: programmes (programme.py), programme assignments (assignment.py),
issuance requests, certificates and reminders (certificate.py), and what follows a change in
the law: legal basis, update modules, suspensions and update tasks (law_change.py).

They lived in ``courses`` and ``exams`` until certification became an app of its own; their
tables kept their names (see ``migrations/0001_initial.py``).
"""

from .assignment import ProgrammeAssignment
from .attendance import AttendanceCertificate
from .certificate import (
    HELD_STATUSES,
    Certificate,
    CertificateReminder,
    CertificateStatus,
    IssuanceKind,
    IssuanceRequest,
)
from .law_change import (
    CertificateBasis,
    CertificateSuspension,
    RegulationUpdateTask,
    UpdateModule,
    UpdateNotice,
)
from .programme import CertificationProgramme

__all__ = [
    "AttendanceCertificate",
    "Certificate",
    "CertificateBasis",
    "CertificateSuspension",
    "CertificateReminder",
    "CertificateStatus",
    "CertificationProgramme",
    "HELD_STATUSES",
    "IssuanceKind",
    "IssuanceRequest",
    "ProgrammeAssignment",
    "RegulationUpdateTask",
    "UpdateModule",
    "UpdateNotice",
]
