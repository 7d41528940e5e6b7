"""The platform API and webhooks in the Wagtail admin, under one 平台接口 (Platform API) menu.

* API tokens: create one (its key is shown on the next page only — it is stored hashed and
  cannot be shown again), list them by prefix, scopes, expiry and last use, and revoke one.
  Tokens are never edited: a changed scope is a new token.
* Webhook subscriptions: a firm's endpoint and the events it wants. The signing secret is shown
  once, after creating the subscription or rotating the secret.
* Webhook deliveries: the log of every delivery (filters by status, event, firm, date), each
  with its payload and the receiver's last answer, and "Redeliver" (a new delivery of the same
  event, linked to the original).

Permissions are the models' own: ``add``/``view``/``change`` on ApiToken (change = revoke),
WebhookSubscription, and ``view``/``change`` on WebhookDelivery (change = redeliver). Registered
by ``lms/compliance/wagtail_hooks.py``. Audit findings have their own screens
(:mod:`.findings`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSetGroup

from .api_tokens import ApiTokenViewSet
from .webhook_deliveries import REDELIVER_ACTION, WebhookDeliveryViewSet
from .webhook_subscriptions import ROTATE_ACTION, WebhookSubscriptionViewSet


def register_log_actions(actions) -> None:
    """The audit-log entries these screens write (tokens use Wagtail's apitoken actions)."""
    actions.register_action(REDELIVER_ACTION, _("Redeliver webhook"), _("Webhook redelivered"))
    actions.register_action(
        ROTATE_ACTION, _("Rotate webhook secret"), _("Webhook signing secret rotated")
    )


class PlatformApiViewSetGroup(ModelViewSetGroup):
    """平台接口: API tokens, webhook subscriptions and the delivery log, in one admin menu."""

    menu_icon = "code"
    menu_label = _("Platform API")
    menu_name = "platform-api"
    menu_order = 280
    items = (ApiTokenViewSet, WebhookSubscriptionViewSet, WebhookDeliveryViewSet)
