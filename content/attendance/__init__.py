"""Event attendance: registration, check-in, marking and closing sessions (services and views)."""
