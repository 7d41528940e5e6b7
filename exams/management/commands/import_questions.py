"""``manage.py import_questions PATH --bank NAME``: load a GIFT or Moodle XML file into a bank."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from exams.importing import FORMATS, ImportRejected, ImportReport, format_for_name, run_import


class Command(BaseCommand):
    help = (
        "Import single-choice, multiple-choice and true/false questions from a GIFT or Moodle "
        "XML file into a question bank (created if missing). Other question types are reported "
        "and skipped. A file with errors imports nothing and exits non-zero, unless "
        "--skip-invalid is given: then the valid questions are imported, the invalid ones are "
        "listed, and the exit status is 0."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--bank", required=True, help="name of the question bank")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="gift or moodlexml; by default from the extension (.gift/.txt, .xml)",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid questions even if others have errors",
        )

    @no_translations
    def handle(self, *args: object, path: Path, bank: str, **options: Any) -> None:
        fmt = options["format"] or format_for_name(path.name)
        if fmt is None:
            raise CommandError(
                f"cannot tell the format of {path.name} from its extension; "
                "give --format gift or --format moodlexml"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            report = run_import(data, fmt, bank, skip_invalid=options["skip_invalid"])
        except ImportRejected as exc:
            self.write_problems(exc.report)
            report = exc.report
            if report.errors:
                raise CommandError(f"{path} cannot be imported; nothing was imported") from None
            hint = " (--skip-invalid imports the valid questions)" if report.questions else ""
            raise CommandError(
                f"{report.invalid_questions} question(s) with errors in {path}; "
                f"nothing was imported{hint}"
            ) from None
        self.write_problems(report)
        self.stdout.write(self.style.SUCCESS(f"{report.summary()} into bank {report.bank_name}"))

    def write_problems(self, report: ImportReport) -> None:
        for problem in report.unsupported:
            self.stdout.write(str(problem))
        for problem in report.invalid:
            line = str(problem)
            self.stderr.write(f"skipped {line}" if report.skip_invalid else line)
        for problem in report.errors:
            self.stderr.write(str(problem))
        for problem in report.warnings:
            self.stderr.write(f"warning: {problem}")
        for path in report.new_categories if report.committed else []:
            self.stdout.write(f"created category {path}")
