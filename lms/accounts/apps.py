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
        from allauth.mfa.signals import authenticator_added

        # Certificates complete programme assignments (onboarding.receivers).
        from .onboarding import receivers  # noqa: F401
        from .sign_in import record_second_factor_on_activation

        authenticator_added.connect(
            record_second_factor_on_activation, dispatch_uid="accounts.second_factor_on_activation"
        )


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our user screens (legal name, phone, language)."""

    user_viewset = "lms.accounts.viewsets.UserViewSet"
