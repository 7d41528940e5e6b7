"""``manage.py seed_demo``: the demo site and one account per role. Safe to run repeatedly.

Each app registers its own steps in :mod:`lms.lib.demo` (from its ``AppConfig.ready``); this
command only checks it may run and runs them in their registered order.
"""

from __future__ import annotations

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.accounts.demo import DEMO_PASSWORD
from lms.lib import demo


class Command(BaseCommand):
    help = (
        "Create demo data: the regulation library, the site structure, demo courses, "
        "events, a question bank with an exam, and one verified account per role "
        f"(password {DEMO_PASSWORD}). Idempotent. Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password; it refuses to run with "
                "DEBUG off. Use --force if this really is a demo or test database."
            )
        total = demo.run(self.stdout.write)
        summary = f"seed_demo: {total} object(s) created" if total else "seed_demo: nothing to do"
        self.stdout.write(self.style.SUCCESS(summary))
