"""Content events other apps react to (the CPD ledger in ``courses`` listens for attendance)."""

from django.dispatch import Signal

# registration=<Registration>, change=<RegistrationChange>; sent inside the transaction that
# moves a registration into, out of, or between attendance states (attended, partly attended).
attendance_changed = Signal()
