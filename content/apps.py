from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """The home page, events, articles, the regulation library and site search."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "content"
    verbose_name = _("Content")
