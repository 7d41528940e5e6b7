"""``manage.py export_audit_log``: write a firm's audit trail as a bundle a regulator verifies.

Lives in ``lms.compliance`` rather than ``lms.auditlog`` because it looks firms up by credit
code, and the audit log sits below the accounts app (see :mod:`lms.compliance.audit_exports`).
"""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from stdnum.cn import uscc

from lms.accounts.models import Firm
from lms.compliance.audit_exports import (
    DayOutOfRange,
    NoCheckpoint,
    NothingToExport,
    check_day,
    export_audit_log,
)

ACTOR = "manage.py export_audit_log"


def _day(option: str, value: str) -> date:
    """A day an export can name (from 1970 to 9999-12-30: year 1 and the last day of year 9999
    have no valid Beijing bounds), else a CommandError saying so."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date: write it as YYYY-MM-DD.") from None
    try:
        return check_day(day)
    except DayOutOfRange as error:
        raise CommandError(f"{option} {value}: {error}.") from None


class Command(BaseCommand):
    help = (
        "Write the audit events of a firm (by unified social credit code) between two dates "
        "(Beijing time, both included) to a zip bundle with the signed checkpoints, the public "
        "key and the standalone verifier. Personal data is included unless --masked."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--firm", metavar="CREDIT_CODE", help="The firm's credit code.")
        who.add_argument(
            "--all-firms", action="store_true", help="Every event of the period, of any firm."
        )
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="The .zip.")
        parser.add_argument(
            "--masked", action="store_true", help="Mask names, emails and phones; drop free text."
        )
        parser.add_argument("--overwrite", action="store_true", help="Replace FILE if it exists.")

    def handle(
        self,
        *args: object,
        firm: str | None = None,
        all_firms: bool = False,
        start: str,
        end: str,
        output: str,
        masked: bool = False,
        overwrite: bool = False,
        **options: object,
    ) -> None:
        first, last = _day("--from", start), _day("--to", end)
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}.")
        found = None
        if firm is not None:
            if "\x00" in firm:
                raise CommandError(f"--firm {firm!r} is not a credit code.")
            code = uscc.compact(firm).upper()
            found = Firm.objects.filter(credit_code=code).first()
            if found is None:
                raise CommandError(f"No firm has the credit code {code}.")
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        if target.exists() and not overwrite:
            raise CommandError(f"{target} exists; choose another name or pass --overwrite.")

        # Written beside the target and renamed at the end: on any error nothing is left.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".audit-export-")
        try:
            with os.fdopen(handle, "w+b") as fileobj:
                exported = export_audit_log(
                    fileobj, firm=found, start=first, end=last, masked=masked, actor=ACTOR
                )
            os.replace(temporary, target)
        except NothingToExport:
            raise CommandError(
                f"No audit event of {found or 'any firm'} from {first} to {last}: nothing written."
            ) from None
        except NoCheckpoint as error:
            raise CommandError(
                f"Cannot export: {error}. Nothing written; run `manage.py verify_audit_log`."
            ) from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

        summary = exported.summary
        self.stdout.write(
            f"Wrote {target}: {summary.events} events in full, {summary.redacted} redacted, "
            f"sequence {summary.first_seq} to {summary.last_seq}, "
            f"{summary.checkpoints} checkpoints, {'masked' if masked else 'NOT masked'}.\n"
            f"SHA-256 {exported.sha256}\n"
            f"Check it anywhere with the script inside it: "
            f"unzip {target.name} verify.py && python verify.py {target.name}"
        )
