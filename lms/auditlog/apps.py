from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditLogConfig(AppConfig):
    """The hash-chained record of every decision (below lms.accounts: every app writes to it)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.auditlog"
    label = "auditlog"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Celery's task signals name the system actor of events written by tasks.
        from . import context  # noqa: F401
