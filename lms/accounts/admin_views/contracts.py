"""Contracts in the admin: which lender hires which agency, from when to when (the model
checks the kinds and the dates)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import Contract, Firm, FirmKind

CONTRACTS = "accounts_contracts"


class ContractForm(WagtailAdminModelForm):
    class Meta:
        model = Contract
        fields = ["lender", "agency", "starts_on", "ends_on"]


class ContractCurrentFilter(django_filters.ChoiceFilter):
    def __init__(self, **kwargs):
        choices = [("current", _("Current")), ("ended", _("Ended")), ("future", _("Not started"))]
        super().__init__(choices=choices, widget=forms.RadioSelect, empty_label=_("All"), **kwargs)

    def filter(self, queryset, value):
        today = timezone.localdate()
        if value == "current":
            return queryset.current(today)
        if value == "ended":
            return queryset.filter(ends_on__lt=today)
        if value == "future":
            return queryset.filter(starts_on__gt=today)
        return queryset


class ContractFilterSet(WagtailFilterSet):
    state = ContractCurrentFilter(label=_("State"))
    lender = django_filters.ModelChoiceFilter(
        label=_("Lender"), queryset=Firm.objects.filter(kind=FirmKind.LENDER)
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Collection agency"), queryset=Firm.objects.filter(kind=FirmKind.AGENCY)
    )

    class Meta:
        model = Contract
        fields = ["state", "lender", "agency"]


class ContractIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("lender", "agency")


class ContractViewSet(ModelViewSet):
    model = Contract
    name = CONTRACTS
    url_prefix = "firm-contracts"
    icon = "link"
    menu_label = _("Contracts")
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = ContractIndexView
    list_display = [
        "__str__",
        DateColumn("starts_on", label=_("Starts on"), sort_key="starts_on"),
        DateColumn("ends_on", label=_("Ends on"), sort_key="ends_on"),
    ]
    filterset_class = ContractFilterSet
    search_fields = ["lender__name", "agency__name"]
    search_backend_name = None

    def get_form_class(self, for_update: bool = False):
        return ContractForm
