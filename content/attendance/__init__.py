"""Attendance at event sessions: registration, check-in, marking (one module per concern)."""
