from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    """Question banks, exams, attempts, grading and certificates."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        # Signal receivers, and the system checks of the signing key and verification rate.
        from .certificates import ratelimit, receivers, signing  # noqa: F401
