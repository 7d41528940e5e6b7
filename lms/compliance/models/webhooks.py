"""Webhooks: firms subscribe to events; every delivery and its attempts are logged."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.auditlog import chain


class WebhookEvent(models.TextChoices):
    RATING_CHANGED = "rating.changed", "rating.changed"
    CERTIFICATE_ISSUED = "certificate.issued", "certificate.issued"
    CERTIFICATE_REVOKED = "certificate.revoked", "certificate.revoked"
    CERTIFICATE_EXPIRED = "certificate.expired", "certificate.expired"
    CERTIFICATE_SUSPENDED = "certificate.suspended", "certificate.suspended"
    CERTIFICATE_REINSTATED = "certificate.reinstated", "certificate.reinstated"
    FIRM_STATUS_CHANGED = "firm.status_changed", "firm.status_changed"


SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in standard base64, the form
    the reference libraries (in every language) decode."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class WebhookSubscription(models.Model):
    """A firm's endpoint for events about its own collectors, with the secret that signs them.

    The secret is kept (not hashed) because the platform must sign with it; it is shown to the
    firm's staff when the subscription is created and can be rotated. Rotating keeps the
    previous secret for ``settings.WEBHOOK_SECRET_OVERLAP``: until then every delivery carries a
    signature with each, so the receiver can switch without refusing a delivery.
    """

    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    previous_secret = models.CharField(
        _("previous signing secret"), max_length=80, blank=True, editable=False
    )
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.firm}: {self.url}"

    def rotate_secret(self, now: datetime | None = None, *, by=None) -> str:
        """Sign with a new secret from now on, and with the current one too for the overlap
        (a secret older than the current one is dropped at once). Returns the new secret.

        The one code that rotates a secret, so it records ``webhook.secret_rotated`` in the
        audit log, in the same transaction (``by``: who rotated it; by default the request's
        user). The event names the subscription, never a secret."""
        now = now or timezone.now()
        with transaction.atomic():
            self.previous_secret = self.secret
            self.previous_secret_expires_at = now + settings.WEBHOOK_SECRET_OVERLAP
            self.secret = new_secret()
            self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
            chain.record(
                "webhook.secret_rotated",
                subject=self,
                subject_label=f"Webhook subscription #{self.pk}",
                actor=by,
                firms=[self.firm],
                payload={
                    "subscription": self.pk,
                    "host": urlsplit(self.url).hostname or "",  # a URL may carry a key
                    "previous_secret_valid_until": self.previous_secret_expires_at,
                },
            )
        return self.secret

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets a delivery is signed with at ``now``: the current one, and the previous
        one while the rotation's overlap lasts."""
        now = now or timezone.now()
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return [self.secret, self.previous_secret]
        return [self.secret]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event sent to one subscription: the exact body signed, and how each try went."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("webhook event"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.url} ({self.status})"
