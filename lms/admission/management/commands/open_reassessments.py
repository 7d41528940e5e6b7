"""``manage.py open_reassessments``: what the daily beat task does, run now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from lms.admission import reassessment


class Command(BaseCommand):
    help = (
        "Open a re-assessment for every admitted firm whose admission expires within "
        f"{reassessment.WINDOW_DAYS} days (or has expired) and has none open, pre-filled from "
        "its last application with its training readiness measured, and email its managers a "
        "link. Safe to run again: nothing is opened or sent twice."
    )

    def handle(self, *args: object, **options: object) -> None:
        outcome = reassessment.open_due()
        for application in outcome.opened:
            firm = application.firm
            assert firm is not None
            self.stdout.write(
                f"opened re-assessment #{application.pk} for {firm.name} ({firm.credit_code}), "
                f"admission valid until {firm.admission_expires_on}"
            )
        for firm, problem in outcome.skipped:
            self.stderr.write(f"skipped {firm.name} ({firm.credit_code}): {problem}")
        self.stdout.write(
            f"{len(outcome.opened)} re-assessments opened, {len(outcome.skipped)} firms skipped"
        )
