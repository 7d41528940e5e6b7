"""The webhook delivery log in the admin: every delivery (filters by status, event, firm, date),
each with its payload and the receiver's last answer, and "Redeliver" (a new delivery of the
same event, linked to the original)."""

from __future__ import annotations

import json

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from lms.accounts.models import Firm
from lms.lib.admin_actions import (
    HeaderActionsMixin,
    ListingActionsMixin,
    ObjectAction,
)

from .. import webhooks
from ..models import WebhookDelivery, WebhookEvent, WebhookSubscription
from ..models.webhooks import DeliveryStatus
from .common import ConfirmView, InspectOnlyViewSetMixin

DELIVERIES = "compliance_webhook_deliveries"
REDELIVER_ACTION = "compliance.webhook.redeliver"


class WebhookDeliveryFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=DeliveryStatus.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    event = django_filters.ChoiceFilter(
        label=_("Webhook event"), choices=WebhookEvent.choices, empty_label=_("All")
    )
    firm = django_filters.ModelChoiceFilter(
        label=_("Firm"),
        field_name="subscription__firm",
        queryset=Firm.objects.all(),
        empty_label=_("All"),
    )
    subscription = django_filters.ModelChoiceFilter(
        label=_("Subscription"),
        queryset=WebhookSubscription.objects.select_related("firm"),
        empty_label=_("All"),
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event", "firm", "subscription", "created_at"]


def can_redeliver(user, delivery: WebhookDelivery) -> bool:
    return user.has_perm("compliance.change_webhookdelivery")


REDELIVER = ObjectAction(
    _("Redeliver"), f"{DELIVERIES}:redeliver", icon_name="resubmit", permitted=can_redeliver
)


class WebhookDeliveryIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = (REDELIVER,)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("subscription__firm")


class WebhookDeliveryInspectView(HeaderActionsMixin, generic.InspectView):
    object_actions = (REDELIVER,)

    def get_object(self, queryset=None):
        return get_object_or_404(
            WebhookDelivery.objects.select_related("subscription__firm", "redelivery_of"),
            pk=self.pk,
        )

    def get_payload_display_value(self):
        pretty = json.dumps(self.object.payload, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", pretty)

    def get_response_body_display_value(self):
        return (
            format_html("<pre>{}</pre>", self.object.response_body)
            if self.object.response_body
            else "-"
        )


class WebhookDeliveryRedeliverView(ConfirmView):
    page_title = _("Redeliver webhook")
    submit_label = _("Redeliver")
    question = _(
        "Send this event to the subscription again? The receiver gets the same event id and "
        "payload, freshly signed."
    )
    success_message = _("The event has been queued for delivery again.")
    log_action = REDELIVER_ACTION

    def get_queryset(self):
        return WebhookDelivery.objects.select_related("subscription__firm")

    def perform(self, delivery, form):
        return webhooks.redeliver(delivery)

    def get_success_url(self, again=None):
        return reverse(f"{DELIVERIES}:inspect", args=[quote(again.pk)])


def delivery_target(delivery: WebhookDelivery) -> str:
    return f"{delivery.subscription.firm} · {Truncator(delivery.subscription.url).chars(50)}"


class WebhookDeliveryViewSet(InspectOnlyViewSetMixin, ModelViewSet):
    """The delivery log: read-only, written by the delivery task; "Redeliver" adds a row."""

    model = WebhookDelivery
    name = DELIVERIES
    url_prefix = "webhook-deliveries"
    icon = "history"
    menu_label = _("Webhook deliveries")
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = WebhookDeliveryIndexView
    inspect_view_class = WebhookDeliveryInspectView
    action_views = [("redeliver", WebhookDeliveryRedeliverView)]
    list_per_page = 50
    list_display = [
        "event",
        Column("target", label=_("Sent to"), accessor=delivery_target),
        StatusTagColumn(
            "status",
            label=_("Status"),
            accessor="get_status_display",
            primary=lambda d: d.status == DeliveryStatus.SUCCEEDED,
        ),
        Column("attempts", label=_("Delivery attempts"), sort_key="attempts"),
        Column("response_status", label=_("Response"), sort_key="response_status"),
        Column("error", label=_("Error"), accessor=lambda d: Truncator(d.error).chars(60)),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DateColumn("last_attempt_at", label=_("Last attempt"), sort_key="last_attempt_at"),
    ]
    filterset_class = WebhookDeliveryFilterSet
    inspect_view_fields = [
        "event",
        "event_id",
        "subscription",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "delivered_at",
        "response_status",
        "response_body",
        "error",
        "redelivery_of",
        "payload",
    ]
