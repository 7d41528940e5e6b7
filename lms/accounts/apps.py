from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.accounts"
    label = "accounts"
    verbose_name = _("Accounts")


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our user screens (legal name, phone, language)."""

    user_viewset = "lms.accounts.viewsets.UserViewSet"
