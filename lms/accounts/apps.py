from django.apps import AppConfig
from django.db.models.signals import post_migrate
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
        from allauth.account.signals import authentication_step_completed
        from allauth.mfa.signals import authenticator_added
        from django.contrib.auth.signals import user_logged_in
        from django.urls import register_converter

        from lms.bad_input import BoundedIdConverter

        # Before any URLconf is imported: our patterns take ids as <id:...> (bounded to bigint).
        register_converter(BoundedIdConverter, "id")

        from .sign_in import record_second_factor_on_activation

        authenticator_added.connect(
            record_second_factor_on_activation, dispatch_uid="accounts.second_factor_on_activation"
        )

        from . import staff_sign_ins

        # Staff sign-ins go to the audit log once each, when the session is fully signed in.
        user_logged_in.connect(
            staff_sign_ins.sign_in_started, dispatch_uid="accounts.staff_sign_in_started"
        )
        authentication_step_completed.connect(
            staff_sign_ins.step_completed, dispatch_uid="accounts.staff_sign_in_step"
        )

        # A flushed database (transactional tests) gets django.contrib.sites' "example.com"
        # back on post_migrate unless the product's Site is there first; this app comes before
        # django.contrib.sites in INSTALLED_APPS, so its post_migrate runs first.
        post_migrate.connect(_name_site, sender=self)

        from lms.lib import demo

        # seed_demo steps of this app (orders in lms.lib.demo; other apps register theirs).
        demo.register("accounts.site", 20, "lms.accounts.demo.seed_site")
        demo.register("accounts.accounts", 70, "lms.accounts.demo.seed_accounts")


def _name_site(using: str = "default", **kwargs: object) -> None:
    from django.contrib.sites.models import Site
    from django.db import connections

    from .site import ensure_site

    # Migrating to an earlier state may leave the sites table out.
    if Site._meta.db_table in connections[using].introspection.table_names():
        ensure_site(using=using)


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with our user screens (legal name, phone, language) and translated
    group names."""

    user_viewset = "lms.accounts.viewsets.UserViewSet"
    group_viewset = "lms.accounts.viewsets.GroupViewSet"
