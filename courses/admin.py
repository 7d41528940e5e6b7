"""The CPD hours ledger in the Wagtail admin (issue 15): trainers look up a person's entries and
add a manual adjustment with its reason. Entries are append-only, so there is no edit, copy or
delete route at all (not only no button); an adjustment goes through ``cpd.adjust`` (reason
required, no debit below what was credited, ``created_by`` = the signed-in user).

Permissions (migration 0005): Trainers have ``add_cpdentry`` and ``view_cpdentry``; superusers
have everything; nobody else reaches these screens.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import CreateView
from wagtail.admin.viewsets.model import ModelViewSet

from . import cpd
from .models import CPDEntry


class AdjustmentForm(forms.Form):
    """A manual credit or debit; the person is named by their sign-in email (no list of every
    user to scroll)."""

    user = forms.ModelChoiceField(
        label=_("Person (email)"),
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="email",
        widget=forms.EmailInput,
        error_messages={"invalid_choice": _("No active user has this email address.")},
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=6,
        decimal_places=2,
        help_text=_("Negative to take hours back (a correction)."),
    )
    offline = forms.BooleanField(label=_("Offline (in-person) hours"), required=False)
    earned_on = forms.DateField(
        label=_("Counts on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the hours count for in the renewal cycle."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, instance=None, for_user=None, **kwargs) -> None:
        # Wagtail's create view passes a model form's arguments.
        super().__init__(*args, **kwargs)
        self.instance = instance


class AdjustmentCreateView(CreateView):
    def get_form_class(self):
        return AdjustmentForm

    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = cpd.adjust(
                data["user"],
                data["hours"],
                offline=data["offline"],
                earned_on=data["earned_on"],
                reason=data["reason"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)
        return self.save_action()

    def get_success_message(self, instance):
        return _("Adjustment recorded: %(entry)s.") % {"entry": instance}

    def get_success_buttons(self):
        return []


class CPDEntryViewSet(ModelViewSet):
    """The ledger: listing (search by person, filter by source, offline, day), inspect, and the
    adjustment form."""

    model = CPDEntry
    icon = "time"
    menu_label = _("CPD hours")
    menu_order = 320
    add_to_admin_menu = True
    url_prefix = "cpd-hours"
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    add_view_class = AdjustmentCreateView
    list_display = ["user", "earned_on", "source", "hours", "offline", "reason", "created_by"]
    list_filter = ["source", "offline", "earned_on"]
    search_fields = ["user__email", "user__legal_name", "reason"]
    ordering = ["-earned_on", "-created_at"]
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return AdjustmentForm

    def get_queryset(self, request):
        return CPDEntry.objects.select_related("user", "created_by")

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]
