"""Signals the accounts app sends, for the apps above it (webhooks, admission) to act on.

``firm_status_changed(sender=Firm, firm, change)``: sent once the transaction that changed a
firm's admission status commits (``Firm.change_status``); ``change`` is the
:class:`~lms.accounts.models.FirmStatusChange` row.
"""

from django.dispatch import Signal

firm_status_changed = Signal()
