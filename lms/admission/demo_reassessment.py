"""``seed_demo`` step (order 115): open the re-assessment of the demo admission that expires
within 30 days (decided at order 110), exactly as the daily task would. Does nothing when no
admission is due, and nothing the second time (the re-assessment is open)."""

from __future__ import annotations

from lms.lib.demo import DemoReport

from . import reassessment


def seed_reassessments(report: DemoReport) -> None:
    outcome = reassessment.open_due()
    for application in outcome.opened:
        firm = application.firm
        assert firm is not None
        report.line(
            f"created re-assessment of {firm.name} (admission valid until "
            f"{firm.admission_expires_on}), managers emailed a link",
            created=1,
        )
    for firm, problem in outcome.skipped:
        report.line(f"re-assessment of {firm.name} not opened: {problem}")
