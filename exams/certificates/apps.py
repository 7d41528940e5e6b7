"""The certification app: it depends on exams, courses and accounts, never the other way round."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    """Programmes, assignments, issuance, certificates, reminders and verification.

    Its models moved here from ``courses`` and ``exams`` with their tables (migrations/0001).
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "exams.certificates"
    label = "certificates"
    verbose_name = _("Certification")

    def ready(self) -> None:
        from django.core import checks

        from lms.lib import demo
        from lms.lib.ratelimit import rate_setting_check

        # Signal receivers, and the system checks of the signing key and verification rate.
        from . import receivers, signing  # noqa: F401

        checks.register(rate_setting_check("CERTIFICATE_VERIFY_RATE", "exams.E110"))
        # seed_demo steps (orders in lms.lib.demo).
        demo.register("certificates.programme", 80, "exams.certificates.demo.seed_programme")
        demo.register(
            "certificates.law_change", 95, "exams.certificates.demo_law_change.seed_law_change"
        )
        demo.register("certificates.links", 100, "exams.certificates.demo.seed_certificate_links")
