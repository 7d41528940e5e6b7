"""Credit the CPD ledger with course completions that have no entry.

Migration ``courses.0006`` did this once at deploy; this command does the same for an operator
(a database restored from before the ledger, completions imported later). Running it again
credits nothing new: enrolments with an entry are skipped, and a completion credits once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from courses import cpd


class Command(BaseCommand):
    help = (
        "Credit the CPD hours of every completed course enrolment that has no ledger entry "
        "(completions recorded before the ledger existed). Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Enrolments read per batch (500)."
        )

    def handle(self, *args, **options) -> None:
        credited = cpd.backfill_courses(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"{credited} course completion(s) credited to the CPD ledger.")
