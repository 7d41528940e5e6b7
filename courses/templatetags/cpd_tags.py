"""Where to earn CPD hours: links to the event listing and the course catalogue."""

from __future__ import annotations

from django import template

from content.models import EventIndexPage

from ..models import CourseIndexPage

register = template.Library()


@register.inclusion_tag("courses/includes/cpd_training_links.html", takes_context=True)
def cpd_training_links(context) -> dict:
    """Links to the live event index and course index (two queries), for a collector short of
    hours."""
    request = context.get("request")
    events = EventIndexPage.objects.live().first()
    courses = CourseIndexPage.objects.live().first()
    return {
        "events_url": events.get_url(request) if events else None,
        "courses_url": courses.get_url(request) if courses else None,
    }
