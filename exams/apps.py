from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    """Question banks, exams, attempts, grading and certificates."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from lms.lib import demo

        # Signal receivers, and the system checks of the signing key and verification rate.
        from .certificates import ratelimit, receivers, signing  # noqa: F401

        # seed_demo steps (orders in lms.lib.demo). The certificates' two belong in the
        # certificates app's own ready() once it has one.
        demo.register("exams.exam", 60, "exams.demo.seed_exam")
        demo.register("certificates.programme", 80, "exams.certificates.demo.seed_programme")
        demo.register("certificates.links", 100, "exams.certificates.demo.seed_certificate_links")
