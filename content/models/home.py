"""Site-wide pages."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The site root: what Sunshine Academy is and where a collector starts.

    Later pages (course index, events, regulation library) live beneath it.
    """

    intro = models.CharField(
        _("introduction"),
        max_length=250,
        blank=True,
        help_text=_("One or two sentences under the title."),
    )
    body = RichTextField(
        _("body"), blank=True, features=["h2", "h3", "bold", "italic", "link", "ol", "ul"]
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request: HttpRequest, *args: object, **kwargs: object) -> dict:
        """Adds the live courses and the next upcoming events: three queries in all."""
        from courses.models import CoursePage

        from .events import EventPage

        context = super().get_context(request, *args, **kwargs)
        context["courses"] = CoursePage.objects.live().public().order_by("path")[:6]
        context["upcoming_events"] = (
            EventPage.objects.live().public().filter(end__gte=timezone.now()).order_by("start")[:3]
        )
        return context
