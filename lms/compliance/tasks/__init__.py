"""Compliance Celery tasks, one module per concern (Celery's autodiscovery imports this package)."""

from . import ratings, reports, webhooks  # noqa: F401
