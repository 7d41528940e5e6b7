"""Content events other apps react to (the CPD ledger in ``courses`` listens for attendance)."""

from django.dispatch import Signal

# registration=<Registration>, change=<RegistrationChange>; sent inside the transaction that
# moves a registration into, out of, or between attendance states (attended, partly attended).
attendance_changed = Signal()

# session=<EventSession>, actor=<User | None>; sent inside the transaction that closes a session
# (no-shows set): certificates of attendance are issued from it.
session_closed = Signal()
