"""Webhook subscriptions in the admin: a firm's endpoint and the events it wants. The signing
secret is shown once, after creating the subscription or rotating the secret."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import ListingButton

from lms.lib.admin_actions import (
    ListingActionsMixin,
    Notice,
    ObjectAction,
    ObjectActionViewSetMixin,
)

from .. import public_addresses, webhook_http
from ..models import WebhookEvent, WebhookSubscription
from .common import ConfirmView, show_secret_once
from .webhook_deliveries import DELIVERIES

SUBSCRIPTIONS = "compliance_webhook_subscriptions"
ROTATE_ACTION = "compliance.webhook.rotate_secret"


class WebhookSubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["firm", "url", "events", "is_active"]
        help_texts = {
            "url": _(
                "An https URL on the firm's side that accepts POSTed JSON. Private and local "
                "addresses are refused in production."
            ),
        }

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhook_http.check_scheme(url)
        except webhook_http.UnsafeURL as error:
            raise forms.ValidationError(str(error)) from error
        host = urlsplit(url).hostname or ""
        if not webhook_http.private_addresses_allowed():
            # Literal addresses (in any spelling) and localhost are refused now; host names are
            # resolved and checked again before every delivery.
            address = public_addresses.literal_address(host)
            local = public_addresses.is_local_name(host)
            if local or (address is not None and not public_addresses.is_public_ip(address)):
                raise forms.ValidationError(_("Webhooks go to public addresses only."))
        return url


def can_rotate(user, subscription: WebhookSubscription) -> bool:
    return user.has_perm("compliance.change_webhooksubscription")


ROTATE = ObjectAction(
    _("Rotate secret"), f"{SUBSCRIPTIONS}:rotate", icon_name="key", permitted=can_rotate
)


def deliveries_url(subscription: WebhookSubscription) -> str:
    return reverse(f"{DELIVERIES}:index") + f"?subscription={subscription.pk}"


class WebhookSubscriptionIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = (ROTATE,)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("firm")

    def get_list_more_buttons(self, instance):
        deliveries = ListingButton(
            _("Deliveries"), url=deliveries_url(instance), icon_name="history", priority=35
        )
        return [*super().get_list_more_buttons(instance), deliveries]


class WebhookSubscriptionCreateView(generic.CreateView):
    def save_action(self):
        subscription = self.object
        return show_secret_once(
            self.request,
            title=_("Webhook subscription created"),
            secret=subscription.secret,
            about=_(
                "The signing secret for %(url)s. Give it to %(firm)s to verify the "
                "webhook-signature header; it is shown only now (rotate it to get a new one)."
            )
            % {"url": subscription.url, "firm": subscription.firm},
            back_url=reverse(self.index_url_name),
        )


class WebhookSubscriptionRotateView(ConfirmView):
    page_title = _("Rotate signing secret")
    submit_label = _("Rotate secret")
    question = _("Sign this subscription's webhooks with a new secret?")
    log_action = ROTATE_ACTION

    def get_notices(self) -> list[Notice]:
        now = timezone.now()
        warning = _(
            "For the next %(overlap)s every delivery carries two signatures, one made with the "
            "new secret and one with the current secret, so the receiver can switch to the new "
            "one without refusing deliveries. After that, only the new secret signs."
        ) % {"overlap": timeuntil(now + settings.WEBHOOK_SECRET_OVERLAP, now)}
        return [Notice(warning, level="warning")]

    def perform(self, subscription, form):
        secret = subscription.rotate_secret(by=self.request.user)
        self.write_log(subscription)
        until = timezone.localtime(subscription.previous_secret_expires_at)
        return show_secret_once(
            self.request,
            title=_("New signing secret"),
            secret=secret,
            about=_(
                "The new signing secret for %(url)s. It is shown only now. Until %(until)s "
                "deliveries are also signed with the previous secret."
            )
            % {"url": subscription.url, "until": formats.date_format(until, "DATETIME_FORMAT")},
            back_url=reverse(self.index_url_name),
        )


class WebhookSubscriptionViewSet(ObjectActionViewSetMixin, ModelViewSet):
    model = WebhookSubscription
    name = SUBSCRIPTIONS
    url_prefix = "webhook-subscriptions"
    icon = "link"
    menu_label = _("Webhook subscriptions")
    add_to_reference_index = False
    copy_view_enabled = False
    index_view_class = WebhookSubscriptionIndexView
    add_view_class = WebhookSubscriptionCreateView
    action_views = [("rotate", WebhookSubscriptionRotateView)]
    list_display = [
        "url",
        Column("firm", label=_("Firm")),
        Column("events", label=_("Events"), accessor=lambda sub: ", ".join(sub.events)),
        StatusTagColumn(
            "is_active",
            label=_("State"),
            accessor=lambda sub: str(_("Active") if sub.is_active else _("Paused")),
        ),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    list_filter = ["firm", "is_active"]
    search_fields = ["url", "firm__name"]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        return WebhookSubscriptionForm

    def get_common_view_kwargs(self, **kwargs):
        # Its deliveries are the record of what the firm's systems were told (and its secret
        # rotations are in the audit log): a subscription is paused, never deleted. No delete
        # view, button or URL.
        return {**super().get_common_view_kwargs(**kwargs), "delete_url_name": None}

    def get_urlpatterns(self):
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if getattr(pattern, "name", None) != "delete"
        ]
