"""Suspend the certificates whose holders missed an update module's deadline.

What the daily ``suspend_overdue_updates`` beat task does, for running by hand (after changing
a deadline, or when beat was down): every valid certificate still on the legal basis a change
replaced is suspended once its module's deadline has passed. Running it twice changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from exams.certificates import updates


class Command(BaseCommand):
    help = (
        "Suspend valid certificates still on the old legal basis after their update module's "
        "deadline (what the daily beat task does); prints how many were suspended."
    )

    def handle(self, *args, **options) -> None:
        count = updates.suspend_overdue()
        self.stdout.write(f"Suspended {count} certificate(s) past their update deadline.")
