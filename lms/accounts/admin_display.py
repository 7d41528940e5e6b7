"""Times in the admin's inspect views, in Beijing time like everywhere else.

Wagtail's inspect view prints a field with ``{{ value|localize }}``; ``localize`` formats an
aware datetime as stored, in UTC, so a finding recorded at 04:25 Beijing time read "18:25" of
the day before. Registering a display class for ``DateTimeField`` makes every inspect view
(and any listing that uses the registry) convert to the current time zone first.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from wagtail.admin.ui.fields import BaseFieldDisplay, register_display_class


class LocalDateTimeDisplay(BaseFieldDisplay):
    """A datetime in the active time zone (Asia/Shanghai), in the language's format."""

    def render_html(self, parent_context=None) -> str:
        value = self.value
        if value is None:
            return "-"
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return conditional_escape(formats.date_format(value, "DATETIME_FORMAT"))


def register() -> None:
    register_display_class(models.DateTimeField, display_class=LocalDateTimeDisplay)
