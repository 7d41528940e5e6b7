"""``manage.py recompute_ratings``: recompute every rating now (what the nightly task does)."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

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

    def handle(self, *args: object, reason: str, **options: object) -> None:
        outcome = recompute.full(reason=reason)
        self.stdout.write(
            f"{outcome.changed} ratings changed (of {outcome.collectors} collectors) "
            f"in {outcome.seconds:.2f} s"
        )
        self.stdout.write(
            f"{outcome.firms_changed} firm ratings changed (of {outcome.firms} firms); "
            f"{outcome.firms_flagged} flagged for review"
        )
