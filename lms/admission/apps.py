from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdmissionConfig(AppConfig):
    """Admission review of lenders and agencies: it reads ratings, findings and certificates
    (training readiness), so it sits above ``lms.compliance`` (README, Architecture)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.admission"
    label = "admission"
    verbose_name = _("Admission review")

    def ready(self) -> None:
        from lms.lib import demo

        # seed_demo steps (orders in lms.lib.demo): applications in every state and the demo
        # agency's expiring admission (110), then its re-assessment (115).
        demo.register("admission.applications", 110, "lms.admission.demo.seed_applications")
        demo.register(
            "admission.reassessments", 115, "lms.admission.demo_reassessment.seed_reassessments"
        )
