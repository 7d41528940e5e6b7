"""``manage.py verify_audit_log``: recompute the whole chain and check every checkpoint."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.auditlog.verification import run_verification


class Command(BaseCommand):
    help = (
        "Recompute the audit log's hash chain from the first event and check every signed "
        "checkpoint. Prints the number of events and checkpoints verified and exits 0, or "
        "prints the sequence number of the first event that does not match and exits 1. "
        "Each run is kept (the admin shows the latest)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="A copy of /audit/checkpoints.json kept elsewhere: its checkpoints must match "
            "the chain too (proves the history was not rewritten since the copy was taken).",
        )

    def handle(self, *args: object, checkpoints: str | None = None, **options: object) -> None:
        kept = _kept_checkpoints(checkpoints) if checkpoints else []
        started = time.perf_counter()
        result, _run = run_verification(kept)
        seconds = time.perf_counter() - started
        if not result.ok:
            raise CommandError(
                f"FAILED at event {result.first_bad_seq}: {result.problem} "
                f"({result.events} events verified before it)",
                returncode=1,
            )
        self.stdout.write(
            f"OK: {result.events} events and {result.checkpoints} checkpoints verified "
            f"in {seconds:.1f} s (head: event {result.head_seq}, {result.head_hash})"
        )


def _kept_checkpoints(path: str) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot read {path}: {error}", returncode=2) from None
    listed = data.get("checkpoints") if isinstance(data, dict) else data
    if not isinstance(listed, list) or not all(isinstance(cp, dict) for cp in listed):
        raise CommandError(f"{path} holds no list of checkpoints", returncode=2)
    return listed
