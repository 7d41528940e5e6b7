"""Print a new Ed25519 key for signing certificates' Open Badges credentials.

The output is an environment-file snippet: ``CERTIFICATE_SIGNING_KEY=z3u2...`` followed by
comment lines with the public Multikey and the URL of its key document. Nothing is stored: put
the key in the environment (or a secrets manager). Credentials are signed when they are served,
so replacing the key only affects copies holders downloaded earlier: list the old public key in
``CERTIFICATE_RETIRED_PUBLIC_KEYS`` and those copies still verify. A leaked key lets anyone forge
credentials: replace it at once, and do not list it as retired.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from exams.certificates import openbadges, signing


class Command(BaseCommand):
    help = (
        "Print a new Ed25519 signing key for certificate credentials (CERTIFICATE_SIGNING_KEY) "
        "and its public Multikey. With --current, print the public key of the configured key "
        "instead (to list in CERTIFICATE_RETIRED_PUBLIC_KEYS when rotating it)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--current",
            action="store_true",
            help="Show the public key of the key configured now instead of making a new one.",
        )

    def handle(self, *args, current: bool = False, **options) -> None:
        if current:
            try:
                key = signing.current_signing_key()
            except signing.SigningKeyError as error:
                raise CommandError(str(error)) from None
            if key.is_development:
                self.stderr.write("Warning: no key is configured; this is the development key.")
            self._describe(key)
            return
        key = signing.SigningKey(Ed25519PrivateKey.generate())
        self.stdout.write(f"CERTIFICATE_SIGNING_KEY={signing.secret_multikey(key.private_key)}")
        self._describe(key)
        self.stdout.write(
            "# Keep the key secret. When you replace it, add the old public key to "
            "CERTIFICATE_RETIRED_PUBLIC_KEYS so credentials it signed still verify."
        )

    def _describe(self, key: signing.SigningKey) -> None:
        self.stdout.write(f"# Public key (Multikey): {key.public_multikey}")
        self.stdout.write(f"# Key document: {openbadges.verification_method(key.public_multikey)}")
