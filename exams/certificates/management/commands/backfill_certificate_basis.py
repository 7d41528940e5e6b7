"""Record the legal basis of certificates issued before bases were recorded.

Run once when upgrading to the release that records a certificate's basis at issuance (issue 13):
certificates issued before it have no basis, so a law change never reaches them. What is
recorded, and its limits, is in ``exams.certificates.backfill``. Running it again records
nothing new (certificates that have a basis are skipped).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from exams.certificates import backfill


class Command(BaseCommand):
    help = (
        "Record the legal basis (as at issuance) of valid and suspended certificates that have "
        "none — certificates issued before bases were recorded. Run once when upgrading."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Every certificate without a basis, whatever its status (expired, revoked...).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and report, write nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=200,
            help="Certificates per batch (one transaction each). Default: 200.",
        )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]

        def report(item: backfill.Backfilled) -> None:
            if verbosity >= 2:
                self.stdout.write(f"{item.certificate.serial}: {len(item.entries)} article(s)")

        result = backfill.backfill(
            statuses=None if options["all"] else backfill.DEFAULT_STATUSES,
            dry_run=options["dry_run"],
            batch_size=max(1, options["batch_size"]),
            report=report,
        )
        prefix = "Dry run (nothing written): " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}{result.certificates} certificates backfilled, {result.articles} articles "
            f"recorded, {result.skipped} skipped (already recorded)."
        )
        if result.empty:
            self.stdout.write(
                f"{result.empty} certificate(s) cite no article at all (nothing to record; "
                "looked at again on the next run)."
            )
