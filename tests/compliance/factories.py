"""Builder for audit findings (firms, people and memberships: tests/factories.py)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from lms.accounts.models import Firm, User
from lms.compliance import findings
from lms.compliance.models import Finding, FindingCategory, FindingSource, Severity


def make_finding(
    collector: User,
    *,
    by: User | None = None,
    severity: str = Severity.MAJOR,
    category: str = FindingCategory.UNREASONABLE_HOURS,
    source: str = FindingSource.CALL_REVIEW,
    occurred_on: date | None = None,
    description: str = "晚上十点后多次致电债务人。",
    firm: Firm | None = None,
) -> Finding:
    """An open finding recorded through ``findings.record`` (firm filled in from membership)."""
    return findings.record(
        Finding(
            collector=collector,
            firm=firm,
            occurred_on=occurred_on or timezone.localdate() - timezone.timedelta(days=3),
            source=source,
            category=category,
            severity=severity,
            description=description,
        ),
        by=by,
    )
