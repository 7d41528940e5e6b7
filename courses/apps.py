from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    """Course and lesson pages, enrolment, progress and certification programmes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from lms.lib import demo

        from . import receivers  # noqa: F401  (the CPD ledger follows attendance and courses)

        demo.register("courses.courses", 40, "courses.demo.seed_courses")  # orders: lms.lib.demo
