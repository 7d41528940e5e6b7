"""Site-wide pages.

The home page lists what apps above ``content`` offer (courses) without importing them: each
app adds its part of the context through the ``home_page_context`` Wagtail hook (see
:meth:`HomePage.get_context`), registered in its ``wagtail_hooks.py``.
"""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from .events import EventPage

# Apps above content (courses) add their listings to the home page through this hook.
HOME_PAGE_CONTEXT_HOOK = "home_page_context"


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
        """Adds the next upcoming events, and what the ``home_page_context`` hooks add (courses:
        the live courses): three queries in all.

        A hook is called as ``fn(request, context)`` and adds lazy querysets to ``context``.
        """
        context = super().get_context(request, *args, **kwargs)
        for add_to_context in hooks.get_hooks(HOME_PAGE_CONTEXT_HOOK):
            add_to_context(request, context)
        context["upcoming_events"] = (
            EventPage.objects.live().public().filter(end__gte=timezone.now()).order_by("start")[:3]
        )
        return context
