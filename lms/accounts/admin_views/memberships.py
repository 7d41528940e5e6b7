"""Memberships in the admin: who works where.

Adding a membership for someone still with another firm moves them
(``onboarding.memberships.move``): the old membership ends the day before, in the same
transaction. Memberships are history, so they can be ended (edit: "active to") but not deleted
here. Every write goes through ``onboarding.memberships`` (``move``, ``correct``), which records
the start or end in the audit log.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from ..models import Firm, Membership, MembershipRole
from ..onboarding import memberships
from .people import person_label, user_chooser_viewset

MEMBERSHIPS = "accounts_memberships"


class MembershipCreateForm(WagtailAdminModelForm):
    """Start a membership; for someone still with another firm, a move (see module docstring)."""

    class Meta:
        model = Membership
        fields = ["user", "firm", "role", "employee_number", "active_from"]
        widgets = {"user": user_chooser_viewset.widget_class}
        help_texts = {
            "active_from": _(
                "For someone still with another firm, that membership ends the day before."
            )
        }

    def validate_constraints(self):
        # The one-open-membership rule is what a move resolves; the service checks the rest
        # with clearer messages than the constraint names.
        pass


class MembershipEditForm(WagtailAdminModelForm):
    """Only the employee number and the end date change; the person and firm are history."""

    class Meta:
        model = Membership
        fields = ["employee_number", "active_to"]
        help_texts = {"active_to": _("The last day they worked for the firm.")}

    def clean_active_to(self):
        active_to = self.cleaned_data["active_to"]
        if active_to and active_to < self.instance.active_from:
            raise ValidationError(_("A membership cannot end before it starts."))
        if active_to is None and self.instance.active_to is not None:
            reopened_elsewhere = (
                Membership.objects.filter(user_id=self.instance.user_id, active_to__isnull=True)
                .exclude(pk=self.instance.pk)
                .exists()
            )
            if reopened_elsewhere:
                raise ValidationError(
                    _("This person has a current membership elsewhere; it cannot be reopened.")
                )
        return active_to

    def clean_employee_number(self) -> str:
        number = self.cleaned_data["employee_number"].strip()
        if number and (
            Membership.objects.filter(
                firm_id=self.instance.firm_id, employee_number=number, active_to__isnull=True
            )
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise ValidationError(_("Someone else in this firm has this employee number."))
        return number


class MembershipCreateView(generic.CreateView):
    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = memberships.move(
                data["user"],
                data["firm"],
                data["employee_number"],
                data["active_from"],
                role=data["role"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            # Wagtail's form_invalid reads what its is_valid() sets on a failed validation.
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)
        log(instance=self.object, action="wagtail.create", user=self.request.user)
        return self.save_action()


class MembershipEditView(generic.EditView):
    def save_instance(self):
        # Through the service, not form.save(): an end date set, moved or cleared is a
        # membership ending or restarting, recorded in the audit log.
        data = self.form.cleaned_data
        membership = memberships.correct(
            self.form.instance,
            employee_number=data["employee_number"],
            active_to=data["active_to"],
            by=self.request.user,
        )
        log(instance=membership, action="wagtail.edit", user=self.request.user)
        return membership


class MembershipStateFilter(django_filters.ChoiceFilter):
    def __init__(self, **kwargs):
        choices = [("current", _("Current")), ("ended", _("Ended"))]
        super().__init__(choices=choices, widget=forms.RadioSelect, empty_label=_("All"), **kwargs)

    def filter(self, queryset, value):
        if value == "current":
            return queryset.active()
        if value == "ended":
            return queryset.filter(active_to__lt=timezone.localdate())
        return queryset


class MembershipFilterSet(WagtailFilterSet):
    state = MembershipStateFilter(label=_("State"))
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=MembershipRole.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    firm = django_filters.ModelChoiceFilter(label=_("Firm"), queryset=Firm.objects.all())

    class Meta:
        model = Membership
        fields = ["state", "role", "firm"]


class MembershipIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("user", "firm")


class MembershipViewSet(ModelViewSet):
    model = Membership
    name = MEMBERSHIPS
    url_prefix = "memberships"
    icon = "user"
    menu_label = _("Memberships")
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = MembershipIndexView
    add_view_class = MembershipCreateView
    edit_view_class = MembershipEditView
    list_display = [
        Column("user", label=_("Person"), accessor=lambda m: person_label(m.user)),
        "firm",
        Column("role", label=_("Role"), accessor="get_role_display", sort_key="role"),
        Column("employee_number", label=_("Employee number")),
        DateColumn("active_from", label=_("From"), sort_key="active_from"),
        DateColumn("active_to", label=_("To"), sort_key="active_to"),
    ]
    filterset_class = MembershipFilterSet
    search_fields = ["user__legal_name", "user__email", "employee_number"]
    search_backend_name = None

    def get_form_class(self, for_update: bool = False):
        return MembershipEditForm if for_update else MembershipCreateForm

    def get_common_view_kwargs(self, **kwargs):
        # History is never deleted: no delete view, button or URL (end the membership instead).
        return {**super().get_common_view_kwargs(**kwargs), "delete_url_name": None}

    def get_urlpatterns(self):
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if getattr(pattern, "name", None) != "delete"
        ]
