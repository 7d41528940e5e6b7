"""Signals the audit log sends to the apps above it (which it may not import).

``personal_data_shown``: someone was shown the personal part of an audit event unmasked in the
admin trail. The audit log records ``personal_data.viewed`` itself; the compliance app listens
to add the look to each person's own access log ("my data"), in the same transaction. Sent with
``viewer`` (a User), ``person_ids`` (the people the part names), ``fields`` and ``context``.
"""

from __future__ import annotations

from django.dispatch import Signal

personal_data_shown = Signal()
