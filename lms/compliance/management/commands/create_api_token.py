"""``manage.py create_api_token``: issue a platform API token for a firm and print its key once."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from stdnum.cn import uscc

from lms.accounts.models import Firm
from lms.compliance.models import ApiScope, ApiToken


class Command(BaseCommand):
    help = (
        "Create an API token for a firm (by its unified social credit code) with the given "
        "scopes, and print its key. The key is shown only this once: only its hash is stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--firm", required=True, metavar="CREDIT_CODE", help="The firm's credit code."
        )
        parser.add_argument(
            "--scope",
            dest="scopes",
            action="extend",
            nargs="+",
            required=True,
            metavar="SCOPE",
            help="One or more of: " + ", ".join(ApiScope.values) + " (repeatable).",
        )
        parser.add_argument("--name", default="", help="What the token is for (shown in lists).")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            metavar="N",
            help="Expire the token after N days (default: never).",
        )

    def handle(
        self,
        *args: object,
        firm: str,
        scopes: list[str],
        name: str = "",
        expires_in_days: int | None = None,
        **options: object,
    ) -> None:
        code = uscc.compact(firm)
        found = Firm.objects.filter(credit_code=code).first()
        if found is None:
            raise CommandError(f"No firm has the credit code {code}.")
        unknown = sorted(set(scopes) - set(ApiScope.values))
        if unknown:
            raise CommandError(
                f"Unknown scope {', '.join(unknown)}; choose from {', '.join(ApiScope.values)}."
            )
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1:
                raise CommandError("--expires-in-days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=expires_in_days)
        label = name.strip() or f"Command line, {timezone.localdate():%Y-%m-%d}"
        token, key = ApiToken.issue(
            firm=found,
            name=label,
            scopes=scopes,
            expires_at=expires_at,
            actor="manage.py create_api_token",
        )

        expiry = f"{timezone.localtime(expires_at):%Y-%m-%d %H:%M}" if expires_at else "never"
        self.stdout.write(f"API token “{token.name}” ({token.prefix}…) for {found.name}")
        self.stdout.write(f"Scopes: {', '.join(token.scopes)}. Expires: {expiry}.")
        self.stdout.write(
            self.style.WARNING(
                "Store this key now: it cannot be shown again (only its hash is kept)."
            )
        )
        self.stdout.write(key)
