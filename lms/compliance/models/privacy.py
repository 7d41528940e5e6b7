"""The access log required by 个人信息保护法: who saw whose personal details, when, and what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonalDataAccess(models.Model):
    """One view of a collector's personal details, by a person or by an API token.

    Written by the views and API endpoints that show unmasked personal data; never edited.
    """

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("whose data"),
        on_delete=models.CASCADE,
        related_name="personal_data_accesses",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.ForeignKey(
        "compliance.ApiToken",
        verbose_name=_("API token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fields = models.JSONField(_("fields shown"), default=list)
    context = models.CharField(_("where"), max_length=200)
    accessed_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        who = self.viewer or self.token
        return f"{who} → {self.subject} ({self.context})"
