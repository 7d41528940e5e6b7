from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """The home page, events, articles, the regulation library and site search."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        from wagtail.signals import page_published

        from lms.lib import demo

        from .attendance import hooks  # noqa: F401  (the attendance reports in the admin)
        from .attendance.registration import promote_after_publishing

        page_published.connect(
            promote_after_publishing, dispatch_uid="content.attendance.promote_after_publishing"
        )

        # seed_demo: the regulations first (courses and questions cite them), then the page tree;
        # events after the courses (orders in lms.lib.demo).
        demo.register("content.regulations", 10, "content.demo.seed_regulations")
        demo.register("content.site_structure", 30, "content.demo.seed_site_structure")
        demo.register("content.events", 50, "content.demo.seed_events")
        # Sessions and attendance need the demo accounts and firms (70, 90).
        demo.register("content.attendance", 105, "content.demo_attendance.seed_attendance")
