"""Attendance at event sessions: registration, check-in, marking and reports."""
