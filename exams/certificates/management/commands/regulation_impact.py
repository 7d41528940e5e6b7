"""``manage.py regulation_impact``: what each change in the law still reaches.

By default every change that still has impact (a live lesson or an active question citing the
old version, or a valid certificate on the old basis); ``--change ID`` one change, ``--all``
every change. Supersessions and corrections are listed separately. Computing the impact opens
the update tasks of the lessons and questions that have none (as loading the change does).

Affected valid certificates are listed by serial and programme code (no personal data): in text
the first ``--certificates N`` of each change (default 20) and "… and N more"; in JSON all.

``--format json`` prints one object (keys are stable; README, "When a law changes: impact")::

    {"supersessions": [CHANGE, ...], "corrections": [CHANGE, ...]}

    CHANGE = {"id", "kind", "detected_at", "takes_effect", "source",
              "old": ARTICLE, "new": ARTICLE,
              "counts": {"lessons", "questions", "programmes", "certificates"},
              "lessons": [{"id", "title", "url_path", "compares",
                           "task": {"id", "done"} | null}],
              "questions": [{"id", "name", "bank", "task": {"id", "done"} | null}],
              "programmes": [{"id", "code", "name", "reasons": ["course" | "exam" |
                              "certificates"], "certificates"}],
              "certificates": [{"serial", "programme", "issued_on", "expires_on"}]}

    ``compares``: the lesson cites the new version beside the old one (its task is done).
    ``programmes[].certificates`` is a count; ``certificates`` lists every valid certificate
    whose basis holds the old version (or wording), ``programme`` being the programme's code
    and the dates ISO days.
    ARTICLE = {"id", "short_name", "article", "article_no", "version", "effective_date"}
"""

from __future__ import annotations

import json
from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from content.models import RegulationChange
from exams.certificates.impact import Impact, impacts

CERTIFICATES_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Print the impact of changes in the law (lessons, questions, programmes, valid "
        "certificates citing the old version): by default every change that still has impact."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--change", type=int, metavar="ID", help="Only this change.")
        which.add_argument(
            "--all", action="store_true", help="Every change, even those with no impact left."
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument(
            "--certificates",
            type=int,
            default=CERTIFICATES_SHOWN,
            metavar="N",
            help=f"In text, list at most N certificates per change (default {CERTIFICATES_SHOWN}"
            "; 0: none). JSON lists them all.",
        )

    def handle(
        self,
        *args: object,
        change: int | None,
        all: bool,
        format: str,
        certificates: int,
        **options,
    ):
        self.shown = max(certificates, 0)
        changes = RegulationChange.objects.select_related("old", "new").order_by(
            "-detected_at", "-id"
        )
        if change is not None:
            changes = changes.filter(pk=change)
            if not changes:
                raise CommandError(f"there is no regulation change {change}")
        found = impacts(changes, open_tasks=True)
        if change is None and not all:
            found = [impact for impact in found if impact.has_impact]
        supersessions = [impact for impact in found if not impact.is_correction]
        corrections = [impact for impact in found if impact.is_correction]
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "supersessions": [impact.as_dict() for impact in supersessions],
                        "corrections": [impact.as_dict() for impact in corrections],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        if not found:
            self.stdout.write("No change in the law has impact left.")
            return
        for heading, group in (("Supersessions", supersessions), ("Corrections", corrections)):
            if group:
                self.stdout.write(self.style.MIGRATE_HEADING(f"{heading} ({len(group)})"))
                for impact in group:
                    self._write(impact)

    def _write(self, impact: Impact) -> None:
        change, counts = impact.change, impact.counts
        self.stdout.write(f"#{change.pk} {change} (takes effect {change.takes_effect})")
        self.stdout.write(
            f"  {counts['lessons']} lessons, {counts['questions']} questions, "
            f"{counts['programmes']} programmes, {counts['certificates']} valid certificates"
        )
        for lesson in impact.lessons:
            compares = " (compares both versions)" if lesson.pk in impact.comparisons else ""
            self.stdout.write(
                f"  lesson #{lesson.pk} {lesson.title}{compares}{_task(impact, lesson)}"
            )
        for question in impact.questions:
            self.stdout.write(
                f"  question #{question.pk} {question.name} [{question.bank.name}]"
                f"{_task(impact, question)}"
            )
        for affected in impact.programmes:
            self.stdout.write(
                f"  programme {affected.programme.code} {affected.programme.name} "
                f"({', '.join(affected.reasons)}; {affected.certificates} certificates)"
            )
        if impact.certificates and self.shown:
            for row in impact.certificate_rows(limit=self.shown):
                self.stdout.write(
                    f"  certificate {row.serial} {row.programme} "
                    f"(issued {row.issued_on}, expires {row.expires_on})"
                )
            if impact.certificates > self.shown:
                self.stdout.write(
                    f"  … and {impact.certificates - self.shown} more"
                    " (--format json lists them all)"
                )


def _task(impact: Impact, target) -> str:
    task = impact.task_for(target)
    if task is None:
        return ""
    return f" — task #{task.pk} {'done' if task.done_at else 'open'}"
