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
by ``lms/compliance/wagtail_hooks.py``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import django_filters
from django import forms
from django.conf import settings
from django.contrib.admin.utils import quote
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import AdminDateTimeInput, Button, ListingButton
from wagtail.log_actions import log

from lms.accounts.models import Firm

from . import public_addresses, webhook_http, webhooks
from .models import ApiScope, ApiToken, WebhookDelivery, WebhookEvent, WebhookSubscription
from .models.webhooks import DeliveryStatus

TOKENS = "compliance_api_tokens"
SUBSCRIPTIONS = "compliance_webhook_subscriptions"
DELIVERIES = "compliance_webhook_deliveries"
SECRET_TEMPLATE = "compliance/api_admin/secret_shown_once.html"
CONFIRM_TEMPLATE = "compliance/api_admin/confirm.html"
REDELIVER_ACTION = "compliance.webhook.redeliver"
ROTATE_ACTION = "compliance.webhook.rotate_secret"


def register_log_actions(actions) -> None:
    """The audit-log entries these screens write (tokens use Wagtail's apitoken actions)."""
    actions.register_action(REDELIVER_ACTION, _("Redeliver webhook"), _("Webhook redelivered"))
    actions.register_action(
        ROTATE_ACTION, _("Rotate webhook secret"), _("Webhook signing secret rotated")
    )


def show_secret_once(request, *, title: str, secret: str, about: str, back_url: str, **extra):
    """The page that shows a secret, never cached: reloading it does not bring the secret back
    from a cache, and nothing else ever shows it."""
    response = TemplateResponse(
        request,
        SECRET_TEMPLATE,
        {"page_title": title, "secret": secret, "about": about, "back_url": back_url, **extra},
    )
    response["Cache-Control"] = "no-store"
    return response


class ConfirmView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET asks, POST does: the base of Revoke, Rotate secret and Redeliver."""

    model = None
    permission_required = "change"
    template_name = CONFIRM_TEMPLATE
    header_icon = "warning"
    index_url_name = None
    confirm_label = ""
    question = ""
    warning = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])

    def get_queryset(self):
        return self.model._default_manager.all()

    def get_page_subtitle(self):
        return str(self.object)

    def get_cancel_url(self) -> str:
        return reverse(self.index_url_name)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object,
            question=self.question,
            warning=self.warning,
            confirm_label=self.confirm_label,
            cancel_url=self.get_cancel_url(),
            **kwargs,
        )


def inspect_url_finder(url_name: str) -> type[ModelAdminURLFinder]:
    """Links from elsewhere in the admin (the audit log) go to the inspect view: these rows
    have no edit view."""
    return type("InspectURLFinder", (ModelAdminURLFinder,), {"edit_url_name": url_name})


# --- API tokens --------------------------------------------------------------------------------


def token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return str(_("Revoked"))
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return str(_("Expired"))
    return str(_("Active"))


class TokenStateFilter(django_filters.ChoiceFilter):
    ACTIVE, REVOKED, EXPIRED = "active", "revoked", "expired"

    def __init__(self, **kwargs):
        choices = [
            (self.ACTIVE, _("Active")),
            (self.REVOKED, _("Revoked")),
            (self.EXPIRED, _("Expired")),
        ]
        super().__init__(choices=choices, widget=forms.RadioSelect, empty_label=_("All"), **kwargs)

    def filter(self, queryset, value):
        now = timezone.now()
        if value == self.ACTIVE:
            return queryset.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
        if value == self.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if value == self.EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


class ApiTokenFilterSet(WagtailFilterSet):
    state = TokenStateFilter(label=_("State"))
    firm = django_filters.ModelChoiceFilter(
        label=_("Firm"), queryset=Firm.objects.all(), empty_label=_("All")
    )

    class Meta:
        model = ApiToken
        fields = ["state", "firm"]


class ApiTokenForm(forms.ModelForm):
    """What a new token is for; the key itself is generated, never typed."""

    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Grant only what the system needs. Unmasked personal data is logged on every call."
        ),
    )

    class Meta:
        model = ApiToken
        fields = ["firm", "name", "scopes", "expires_at"]
        widgets = {"expires_at": AdminDateTimeInput}
        help_texts = {
            "name": _("What uses the token, e.g. “Collection platform production”."),
            "expires_at": _("Leave empty for a token that does not expire."),
        }

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return expires_at


def revoke_url(token: ApiToken) -> str:
    return reverse(f"{TOKENS}:revoke", args=[quote(token.pk)])


def can_revoke(user, token: ApiToken) -> bool:
    return token.revoked_at is None and user.has_perm("compliance.change_apitoken")


class ApiTokenIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("firm")

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if can_revoke(self.request.user, instance):
            buttons.append(
                ListingButton(
                    _("Revoke"), url=revoke_url(instance), icon_name="warning", priority=40
                )
            )
        return buttons


class ApiTokenCreateView(generic.CreateView):
    """Issues the token and shows its key on the response page — the only time it is shown."""

    def save_instance(self):
        data = self.form.cleaned_data
        token, self.key = ApiToken.issue(
            firm=data["firm"],
            name=data["name"],
            scopes=data["scopes"],
            created_by=self.request.user,
            expires_at=data["expires_at"],
        )
        log(token, "wagtail.apitoken.create", user=self.request.user)
        return token

    def save_action(self):
        token = self.object
        return show_secret_once(
            self.request,
            title=_("API token created"),
            secret=self.key,
            about=_(
                "The key of “%(name)s” for %(firm)s. Copy it now into the system that will use "
                "it: it is stored only as a hash and cannot be shown again. Send it as "
                "Authorization: Bearer <key>."
            )
            % {"name": token.name, "firm": token.firm},
            back_url=reverse(self.index_url_name),
        )


class ApiTokenInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(ApiToken.objects.select_related("firm", "created_by"), pk=self.pk)

    @cached_property
    def header_more_buttons(self):
        if can_revoke(self.request.user, self.object):
            return [Button(_("Revoke"), url=revoke_url(self.object), icon_name="warning")]
        return []

    def get_scopes_display_value(self):
        return ", ".join(self.object.scopes) or "-"

    def get_prefix_display_value(self):
        return f"{self.object.prefix}…"


class ApiTokenRevokeView(ConfirmView):
    model = ApiToken
    page_title = _("Revoke API token")
    confirm_label = _("Revoke token")
    question = _("Revoke this token? Every call made with it will be refused from now on.")
    warning = _("Revoking cannot be undone; the firm will need a new token.")

    def post(self, request, *args, **kwargs):
        if self.object.revoked_at is None:
            self.object.revoke()
            log(self.object, "wagtail.apitoken.revoke", user=request.user)
            messages.success(request, _("API token “%(name)s” revoked.") % {"name": self.object})
        return redirect(self.index_url_name)


class ApiTokenViewSet(ModelViewSet):
    model = ApiToken
    name = TOKENS
    url_prefix = "api-tokens"
    icon = "key"
    menu_label = _("API tokens")
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = ApiTokenIndexView
    add_view_class = ApiTokenCreateView
    inspect_view_class = ApiTokenInspectView
    revoke_view_class = ApiTokenRevokeView
    list_per_page = 50
    list_display = [
        "name",  # the title column links to the inspect view (tokens are never edited)
        Column("firm", label=_("Firm")),
        Column("prefix", label=_("Prefix"), accessor=lambda token: f"{token.prefix}…"),
        Column("scopes", label=_("Scopes"), accessor=lambda token: ", ".join(token.scopes)),
        StatusTagColumn("state", label=_("State"), accessor=token_state),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
        DateColumn("expires_at", label=_("Expires"), sort_key="expires_at"),
        DateColumn("last_used_at", label=_("Last used"), sort_key="last_used_at"),
    ]
    filterset_class = ApiTokenFilterSet
    search_fields = ["name", "prefix", "firm__name"]
    search_backend_name = None
    inspect_view_fields = [
        "name",
        "firm",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_form_class(self, for_update=False):
        return ApiTokenForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    @property
    def revoke_view(self):
        return self.construct_view(
            self.revoke_view_class, index_url_name=self.get_url_name("index")
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
            path("revoke/<id:pk>/", self.revoke_view, name="revoke"),
        ]

    @property
    def url_finder_class(self):
        return inspect_url_finder(self.get_url_name("inspect"))


# --- Webhook subscriptions ---------------------------------------------------------------------


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


def rotate_url(subscription: WebhookSubscription) -> str:
    return reverse(f"{SUBSCRIPTIONS}:rotate", args=[quote(subscription.pk)])


def deliveries_url(subscription: WebhookSubscription) -> str:
    return reverse(f"{DELIVERIES}:index") + f"?subscription={subscription.pk}"


class WebhookSubscriptionIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("firm")

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            ListingButton(
                _("Deliveries"), url=deliveries_url(instance), icon_name="history", priority=35
            )
        )
        if self.request.user.has_perm("compliance.change_webhooksubscription"):
            buttons.append(
                ListingButton(
                    _("Rotate secret"), url=rotate_url(instance), icon_name="key", priority=40
                )
            )
        return buttons


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
    model = WebhookSubscription
    page_title = _("Rotate signing secret")
    confirm_label = _("Rotate secret")
    question = _("Sign this subscription's webhooks with a new secret?")

    @property
    def warning(self) -> str:
        now = timezone.now()
        return _(
            "For the next %(overlap)s every delivery carries two signatures, one made with the "
            "new secret and one with the current secret, so the receiver can switch to the new "
            "one without refusing deliveries. After that, only the new secret signs."
        ) % {"overlap": timeuntil(now + settings.WEBHOOK_SECRET_OVERLAP, now)}

    def post(self, request, *args, **kwargs):
        subscription = self.object
        secret = subscription.rotate_secret()
        log(subscription, ROTATE_ACTION, user=request.user)
        until = timezone.localtime(subscription.previous_secret_expires_at)
        return show_secret_once(
            request,
            title=_("New signing secret"),
            secret=secret,
            about=_(
                "The new signing secret for %(url)s. It is shown only now. Until %(until)s "
                "deliveries are also signed with the previous secret."
            )
            % {"url": subscription.url, "until": formats.date_format(until, "DATETIME_FORMAT")},
            back_url=reverse(self.index_url_name),
        )


class WebhookSubscriptionViewSet(ModelViewSet):
    model = WebhookSubscription
    name = SUBSCRIPTIONS
    url_prefix = "webhook-subscriptions"
    icon = "link"
    menu_label = _("Webhook subscriptions")
    add_to_reference_index = False
    copy_view_enabled = False
    index_view_class = WebhookSubscriptionIndexView
    add_view_class = WebhookSubscriptionCreateView
    rotate_view_class = WebhookSubscriptionRotateView
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

    @property
    def rotate_view(self):
        return self.construct_view(
            self.rotate_view_class, index_url_name=self.get_url_name("index")
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("rotate/<id:pk>/", self.rotate_view, name="rotate"),
        ]


# --- Webhook deliveries ------------------------------------------------------------------------


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


def redeliver_url(delivery: WebhookDelivery) -> str:
    return reverse(f"{DELIVERIES}:redeliver", args=[quote(delivery.pk)])


def can_redeliver(user) -> bool:
    return user.has_perm("compliance.change_webhookdelivery")


class WebhookDeliveryIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("subscription__firm")

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if can_redeliver(self.request.user):
            buttons.append(
                ListingButton(
                    _("Redeliver"), url=redeliver_url(instance), icon_name="resubmit", priority=40
                )
            )
        return buttons


class WebhookDeliveryInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            WebhookDelivery.objects.select_related("subscription__firm", "redelivery_of"),
            pk=self.pk,
        )

    @cached_property
    def header_more_buttons(self):
        if can_redeliver(self.request.user):
            return [Button(_("Redeliver"), url=redeliver_url(self.object), icon_name="resubmit")]
        return []

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
    model = WebhookDelivery
    page_title = _("Redeliver webhook")
    confirm_label = _("Redeliver")
    question = _(
        "Send this event to the subscription again? The receiver gets the same event id and "
        "payload, freshly signed."
    )

    def get_queryset(self):
        return WebhookDelivery.objects.select_related("subscription__firm")

    def post(self, request, *args, **kwargs):
        again = webhooks.redeliver(self.object)
        log(self.object, REDELIVER_ACTION, user=request.user)
        messages.success(request, _("The event has been queued for delivery again."))
        return redirect(reverse(f"{DELIVERIES}:inspect", args=[quote(again.pk)]))


def delivery_target(delivery: WebhookDelivery) -> str:
    return f"{delivery.subscription.firm} · {Truncator(delivery.subscription.url).chars(50)}"


class WebhookDeliveryViewSet(ModelViewSet):
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
    redeliver_view_class = WebhookDeliveryRedeliverView
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

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    @property
    def redeliver_view(self):
        return self.construct_view(
            self.redeliver_view_class, index_url_name=self.get_url_name("index")
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
            path("redeliver/<id:pk>/", self.redeliver_view, name="redeliver"),
        ]

    @property
    def url_finder_class(self):
        return inspect_url_finder(self.get_url_name("inspect"))


class PlatformApiViewSetGroup(ModelViewSetGroup):
    """平台接口: API tokens, webhook subscriptions and the delivery log, in one admin menu."""

    menu_icon = "code"
    menu_label = _("Platform API")
    menu_name = "platform-api"
    menu_order = 280
    items = (ApiTokenViewSet, WebhookSubscriptionViewSet, WebhookDeliveryViewSet)
