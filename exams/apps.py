from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    """Question banks, exams, attempts and grading (certificates: ``exams.certificates``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from lms.lib import demo

        # seed_demo steps (orders in lms.lib.demo).
        demo.register("exams.exam", 60, "exams.demo.seed_exam")
