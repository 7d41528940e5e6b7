from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class AccountsConfig(AppConfig):
    # apps.py also defines WagtailUsersConfig, so Django needs telling which config is the app's.
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Certificates complete programme assignments (onboarding.receivers).
        from .onboarding import receivers  # noqa: F401


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our user screens (legal name, phone, language)."""

    user_viewset = "lms.accounts.viewsets.UserViewSet"
