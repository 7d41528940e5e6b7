from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditLogConfig(AppConfig):
    """The hash-chained record of every decision (below lms.accounts: every app writes to it)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.auditlog"
    label = "auditlog"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from lms.lib import demo

        # Celery's task signals name the system actor of events written by tasks.
        from . import context  # noqa: F401

        # seed_demo's last step (orders in lms.lib.demo): sign and verify the demo's trail.
        demo.register("auditlog.checkpoint", 200, "lms.auditlog.demo.seed_checkpoint")
