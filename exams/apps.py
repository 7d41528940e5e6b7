from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    """Question banks, exams, attempts, grading and certificates."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from django.core import checks

        from lms.lib.ratelimit import rate_setting_check

        # Signal receivers, and the system checks of the signing key and verification rate.
        from .certificates import receivers, signing  # noqa: F401

        checks.register(rate_setting_check("CERTIFICATE_VERIFY_RATE", "exams.E110"))
