"""API tokens in the admin: create one (its key is shown on the next page only — it is stored
hashed and cannot be shown again), list them by prefix, scopes, expiry and last use, and revoke
one. Tokens are never edited: a changed scope is a new token."""

from __future__ import annotations

import django_filters
from django import forms
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateTimeInput
from wagtail.log_actions import log

from lms.accounts.models import Firm
from lms.lib.admin_actions import (
    HeaderActionsMixin,
    ListingActionsMixin,
    ObjectAction,
)

from ..models import ApiScope, ApiToken
from .common import ConfirmView, InspectOnlyViewSetMixin, show_secret_once

TOKENS = "compliance_api_tokens"


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


def can_revoke(user, token: ApiToken) -> bool:
    return token.revoked_at is None and user.has_perm("compliance.change_apitoken")


REVOKE = ObjectAction(_("Revoke"), f"{TOKENS}:revoke", permitted=can_revoke)


class ApiTokenIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = (REVOKE,)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("firm")


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


class ApiTokenInspectView(HeaderActionsMixin, generic.InspectView):
    object_actions = (REVOKE,)

    def get_object(self, queryset=None):
        return get_object_or_404(ApiToken.objects.select_related("firm", "created_by"), pk=self.pk)

    def get_scopes_display_value(self):
        return ", ".join(self.object.scopes) or "-"

    def get_prefix_display_value(self):
        return f"{self.object.prefix}…"


class ApiTokenRevokeView(ConfirmView):
    page_title = _("Revoke API token")
    submit_label = _("Revoke token")
    question = _("Revoke this token? Every call made with it will be refused from now on.")
    warning = _("Revoking cannot be undone; the firm will need a new token.")
    log_action = "wagtail.apitoken.revoke"

    def perform(self, token, form):
        if token.revoked_at is not None:
            return redirect(self.get_success_url())  # already revoked: nothing to do or say
        token.revoke(by=self.request.user)

    def get_success_message(self, result):
        return _("API token “%(name)s” revoked.") % {"name": self.object}


class ApiTokenViewSet(InspectOnlyViewSetMixin, ModelViewSet):
    model = ApiToken
    name = TOKENS
    url_prefix = "api-tokens"
    icon = "key"
    menu_label = _("API tokens")
    add_to_reference_index = False
    add_enabled = True
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = ApiTokenIndexView
    add_view_class = ApiTokenCreateView
    inspect_view_class = ApiTokenInspectView
    action_views = [("revoke", ApiTokenRevokeView)]
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
