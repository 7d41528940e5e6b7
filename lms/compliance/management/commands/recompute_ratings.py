"""``manage.py recompute_ratings``: recompute every rating now (what the nightly task does)."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from lms.compliance import recompute


class Command(BaseCommand):
    help = (
        "Recompute every collector's and every firm's compliance rating now, writing only the "
        "ratings that changed; prints how many changed and how long it took."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reason",
            default=recompute.MANUAL,
            help="Recorded on each new rating snapshot (default: %(default)s).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help=(
                "Worker processes rating chunks side by side on PostgreSQL; 0 means one per "
                "CPU core (default: the RATING_RECOMPUTE_PROCESSES setting)."
            ),
        )

    def handle(self, *args: object, reason: str, processes: int | None, **options: object) -> None:
        if processes is not None and processes < 0:
            raise CommandError("--processes must be 0 (one per CPU core) or more")
        outcome = recompute.full(reason=reason, processes=processes)
        self.stdout.write(
            f"{outcome.changed} ratings changed (of {outcome.collectors} collectors) "
            f"in {outcome.seconds:.2f} s"
        )
        self.stdout.write(
            f"{outcome.firms_changed} firm ratings changed (of {outcome.firms} firms); "
            f"{outcome.firms_flagged} flagged for review"
        )
