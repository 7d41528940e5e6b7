"""``manage.py send_session_reminders``: what the daily beat task does, run now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from content.tasks import remind_session, sessions_due_for_reminders


class Command(BaseCommand):
    help = (
        "Email every booked attendee of the sessions starting tomorrow (Beijing time) a "
        "reminder with the calendar entry. Safe to run again: each session's reminders go "
        "out once."
    )

    def handle(self, *args: object, **options: object) -> None:
        total = 0
        for session in sessions_due_for_reminders().select_related("page"):
            sent = remind_session(session.pk)
            total += sent
            self.stdout.write(f"{session.page.title} · {session}: {sent} reminders queued")
        self.stdout.write(f"{total} reminders queued")
