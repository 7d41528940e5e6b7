"""Shared toolkit: small helpers used by more than one app (no app imports, no concrete models)."""
