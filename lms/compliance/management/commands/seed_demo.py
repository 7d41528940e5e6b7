"""``manage.py seed_demo``: the demo site and one account per role. Safe to run repeatedly."""

from __future__ import annotations

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo_account


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
        from content.demo import ensure_demo_events, ensure_site_structure
        from content.regulations import load_file
        from courses.demo import ensure_demo_courses
        from exams.certificates.demo import (
            demo_certificates,
            ensure_demo_certificates,
            ensure_demo_programme,
        )
        from exams.demo import ensure_demo_exam
        from lms.accounts.models import User
        from lms.accounts.site import ensure_site, site_domain
        from lms.compliance.demo import ensure_demo_firms, ensure_demo_token
        from lms.compliance.demo_roster import ensure_demo_roster_spread

        total = 0
        loaded = load_file()
        total += loaded.created + loaded.updated
        self.stdout.write(
            f"regulations: {loaded.created} created, {loaded.updated} updated, "
            f"{loaded.unchanged} unchanged"
        )
        if ensure_site():
            # make run calls seed_demo on every start: a new PORT reaches allauth's emails.
            self.stdout.write(f"site: named 阳光学堂 at {site_domain()}")
            total += 1
        demo = [
            *ensure_site_structure(),
            *ensure_demo_courses(),
            *ensure_demo_events(),
            *ensure_demo_exam(),
        ]
        for line in demo:
            self.stdout.write(f"created {line}")
            total += 1
        for spec in DEMO_ACCOUNTS:
            _, created = ensure_demo_account(spec)
            total += len(created)
            if created:
                self.stdout.write(f"{spec.email}: created {', '.join(created)}")
            else:
                self.stdout.write(f"{spec.email}: already present")
        for line in ensure_demo_programme():
            self.stdout.write(f"created {line}")
            total += 1
        auditor = User.objects.filter(email="auditor@demo.test").first()
        for what, certificate in ensure_demo_certificates(auditor):
            self.stdout.write(f"{certificate.holder.email}: {what} {certificate.serial}")
            total += 1
        for line in [*ensure_demo_firms(), *ensure_demo_roster_spread()]:
            self.stdout.write(f"created {line}")
            total += 1
        key = ensure_demo_token()
        if key:
            total += 1
            self.stdout.write("API token for the demo agency (shown once, store it now): " + key)
        for certificate in demo_certificates():
            self.stdout.write(
                f"{certificate.holder.email} certificate ({certificate.get_status_display()}): "
                f"{certificate.absolute_verification_url}"
            )
        summary = f"seed_demo: {total} object(s) created" if total else "seed_demo: nothing to do"
        self.stdout.write(self.style.SUCCESS(summary))
