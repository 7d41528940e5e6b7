"""``manage.py export_questions --bank NAME --format gift|moodlexml [-o FILE]``."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from exams.importing import FORMATS, GIFT
from exams.importing.gift import write_gift
from exams.importing.moodlexml import write_moodle_xml
from exams.models import QuestionBank


class Command(BaseCommand):
    help = (
        "Export a question bank as GIFT or Moodle XML (categories, single-choice, "
        "multiple-choice and true/false questions with grades, feedback and images), to a "
        "file or to standard output. Importing the result reproduces the bank."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bank", required=True, help="name of the question bank")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    @no_translations
    def handle(self, *args: object, bank: str, output: Path | None, **options: object) -> None:
        found = QuestionBank.objects.filter(name=bank).first()
        if found is None:
            raise CommandError(f"there is no question bank named {bank!r}")
        writer = write_gift if options["format"] == GIFT else write_moodle_xml
        text, export = writer(found)
        for line in export.skipped:
            self.stderr.write(line)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"exported {export.count} question(s) in {len(export.categories)} "
                f"categories to {output}"
            )
        )
