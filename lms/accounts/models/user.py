"""Users of Sunshine Academy: collectors, firm managers and platform staff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers (11 digits starting 1[3-9]), optionally with +86.
phone_validator = RegexValidator(
    r"^(\+86)?1[3-9]\d{9}$",
    _("Enter a mainland China mobile number, e.g. 13800138000."),
)


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by email: there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. Email is the login; ``legal_name`` is what certificates print.

    ``first_name``/``last_name`` are kept from Django's user only because Wagtail's admin lists
    them; Chinese names are not split that way, so the product reads ``legal_name``.
    """

    # Django documents removing a field by setting it to None; the stubs type it as a str.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    legal_name = models.CharField(
        _("legal name"),
        max_length=60,
        blank=True,
        help_text=_("Your full name as on your ID card; it is printed on your certificates."),
    )
    phone = models.CharField(
        _("mobile phone"), max_length=14, blank=True, validators=[phone_validator]
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # An email-keyed manager (BaseUserManager, as Django documents for a custom user); the
    # stubs pin AbstractUser.objects to contrib.auth's username-keyed UserManager.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    if TYPE_CHECKING:
        # Not a field: lms.accounts.roles.role_names caches the user's group names here.
        _role_names: frozenset[str]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.legal_name or self.email

    def get_full_name(self) -> str:
        return self.legal_name or super().get_full_name() or self.email

    def get_short_name(self) -> str:
        return self.legal_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
