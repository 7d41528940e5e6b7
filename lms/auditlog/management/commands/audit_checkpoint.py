"""``manage.py audit_checkpoint``: sign the audit log's head now (the hourly task's first half)."""

from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from lms.auditlog.checkpoints import CheckpointRefused, take_checkpoint


class Command(BaseCommand):
    help = (
        "Sign the audit log's current head (sequence number, hash, time) with the platform key "
        "and publish it at /audit/checkpoints.json. Does nothing when the head is unchanged "
        "since the last checkpoint, unless --force. Refuses (exit 1) when the events since the "
        "last checkpoint do not verify."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Sign again even if the head is unchanged."
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        try:
            outcome = take_checkpoint(force=force)
        except CheckpointRefused as refused:
            raise CommandError(f"checkpoint refused: {refused}", returncode=1) from None
        checkpoint = outcome.checkpoint
        if checkpoint is None:
            self.stdout.write(f"No new checkpoint: {outcome.reason}.")
            return
        self.stdout.write(
            f"Checkpoint signed: event {checkpoint.seq}, hash {checkpoint.hash}, "
            f"key {checkpoint.public_key}"
        )
