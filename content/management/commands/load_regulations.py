"""``manage.py load_regulations [PATH]``: load or refresh the statute library."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content.regulations import DEFAULT_PATH, RegulationDataError, describe_impact, load_file


class Command(BaseCommand):
    help = (
        "Load verbatim statute articles from a JSON file (default: the project's own copy). "
        "Idempotent: changed texts are updated. A malformed file changes nothing. Records each "
        "supersession and text correction, and prints a one-line summary of their impact."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            result = load_file(path, actor="manage.py load_regulations")
        except RegulationDataError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(
                f"{len(exc.errors)} problem(s) in {path}; nothing was loaded"
            ) from None
        for key in result.changed_keys:
            self.stdout.write(f"updated {key}")
        self.stdout.write(
            self.style.SUCCESS(
                f"regulations: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
            )
        )
        for change in result.changes:
            self.stdout.write(f"{change.get_kind_display()}: {change}")
        if result.changes:
            for line in describe_impact(result.changes):
                self.stdout.write(line)
