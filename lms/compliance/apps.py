from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """Audit findings, compliance ratings, and the platform API and webhooks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.compliance"
    label = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from lms.lib import demo

        # Connect the signal receivers (ratings follow events; webhooks announce them; the
        # audit trail's unmasked views join each person's access log).
        from . import audit_receivers, rating_receivers, webhook_receivers  # noqa: F401

        # seed_demo step (orders in lms.lib.demo).
        demo.register("compliance.firms", 90, "lms.compliance.demo_roster.seed_firms")
