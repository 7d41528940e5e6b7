"""Partner firms in the Wagtail admin, under one 合作机构 (Partner firms) menu.

* Firms: superusers add and edit them (name, credit code, kind). The admission status is not a
  form field: it changes only through "Change status", which asks for the new status and a
  reason and calls ``Firm.change_status``; the inspect and edit pages list every decision with
  who, when and why. Auditors may look (view permission, migration 0004).
* Contracts: which lender hires which agency, from when to when (the model checks the kinds and
  the dates).
* Memberships: who works where. Adding a membership for someone still with another firm moves
  them (``onboarding.memberships.move``): the old membership ends the day before, in the same
  transaction. Memberships are history, so they can be ended (edit: "active to") but not
  deleted here.

Firm managers have no admin access: they onboard their staff on the front end (/firm/staff/).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from stdnum.cn import uscc
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button, ListingButton
from wagtail.log_actions import log

from lms.bad_input import CheckedChosenViewMixin

from .models import Contract, Firm, FirmKind, FirmStatus, Membership, MembershipRole, User
from .onboarding import memberships

FIRMS = "accounts_firms"
CONTRACTS = "accounts_contracts"
MEMBERSHIPS = "accounts_memberships"
USER_CHOOSER = "accounts_user_chooser"


# --- Choosing a person -------------------------------------------------------------------------


class PersonSearchForm(BaseFilterForm):
    """A substring search: Chinese names have no word boundaries for a search backend."""

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, email or phone")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = self.cleaned_data.get("q", "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(
                Q(legal_name__icontains=query) | Q(email__icontains=query) | Q(phone=query)
            )
        return objects


class ChooserPermissionMixin:
    """Choosers list people's names and emails: only for users who may use the forms they
    serve (``chooser_permissions``), not for everyone with admin access."""

    chooser_permissions: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not any(request.user.has_perm(perm) for perm in self.chooser_permissions):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def person_label(user: User) -> str:
    return f"{user.legal_name or '—'} <{user.email}>"


class PersonListingMixin(ChooserPermissionMixin):
    filter_form_class = PersonSearchForm
    ordering = ["legal_name", "email"]

    @property
    def columns(self):
        columns = super().columns
        columns[0].accessor = person_label
        return columns


class PersonChooseView(PersonListingMixin, chooser_views.ChooseView):
    pass


class PersonChooseResultsView(PersonListingMixin, chooser_views.ChooseResultsView):
    pass


class PersonChosenView(ChooserPermissionMixin, CheckedChosenViewMixin, chooser_views.ChosenView):
    def get_object(self, pk):
        # Only someone the listing offers can be chosen, whatever pk the URL carries.
        return self.get_object_list().get(pk=pk)


class PersonChooserViewSet(ChooserViewSet):
    """A modal chooser of people, searched by name, email or phone. Subclasses narrow
    :meth:`get_object_list` and say who may use it (``chooser_permissions``). It is not
    registered as the default widget for every foreign key to users; forms opt in."""

    model = User
    icon = "user"
    choose_one_text = _("Choose a person")
    choose_another_text = _("Choose another person")
    register_widget = False
    per_page = 20
    chooser_permissions: tuple[str, ...] = ()
    choose_view_class = PersonChooseView
    choose_results_view_class = PersonChooseResultsView
    chosen_view_class = PersonChosenView

    def get_object_list(self):
        return User.objects.filter(is_active=True)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            chooser_permissions=self.chooser_permissions, **kwargs
        )

    @property
    def chosen_view(self):
        view_class = self.inject_view_methods(self.chosen_view_class, ["get_object_list"])
        return self.construct_view(view_class)

    def get_urlpatterns(self):
        # Single choice only, and no "create" tab: people are invited, not typed in here.
        return [
            path("", self.choose_view, name="choose"),
            path("results/", self.choose_results_view, name="choose_results"),
            path("chosen/<str:pk>/", self.chosen_view, name="chosen"),
        ]


class MemberChooserViewSet(PersonChooserViewSet):
    chooser_permissions = ("accounts.add_membership",)


user_chooser_viewset = MemberChooserViewSet(USER_CHOOSER, url_prefix="people-chooser")


# --- Firms -------------------------------------------------------------------------------------


class FirmForm(WagtailAdminModelForm):
    # Longer than the 18 characters stored: a code copied from a licence may have spaces.
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as on the business licence (GB 32100-2015)."),
    )

    class Meta:
        model = Firm
        fields = ["name", "credit_code", "kind"]

    def clean_credit_code(self) -> str:
        # "9111 0000-..." as typed from a licence → the 18 characters the validator checks.
        return uscc.compact(self.cleaned_data["credit_code"])


class FirmFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=FirmKind.choices, widget=forms.RadioSelect, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=FirmStatus.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )

    class Meta:
        model = Firm
        fields = ["kind", "status"]


def change_status_url(firm: Firm) -> str:
    return reverse(f"{FIRMS}:change_status", args=[quote(firm.pk)])


def can_change_status(user) -> bool:
    return user.has_perm("accounts.change_firm")


class FirmIndexView(generic.IndexView):
    def get_base_queryset(self):
        today = timezone.localdate()
        active = Q(memberships__active_from__lte=today) & (
            Q(memberships__active_to__isnull=True) | Q(memberships__active_to__gte=today)
        )
        return (
            super()
            .get_base_queryset()
            .annotate(
                collectors=Count(
                    "memberships", filter=active & Q(memberships__role=MembershipRole.COLLECTOR)
                )
            )
        )

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if can_change_status(self.request.user):
            buttons.append(
                ListingButton(
                    _("Change status"), url=change_status_url(instance), icon_name="tag", priority=5
                )
            )
        return buttons


class StatusHistoryMixin:
    """The firm's status decisions, newest first, for the inspect and edit templates."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        firm = self.object
        context["status_changes"] = firm.status_changes.select_related("decided_by")
        context["change_status_url"] = (
            change_status_url(firm) if can_change_status(self.request.user) else None
        )
        return context

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if can_change_status(self.request.user):
            buttons.append(
                Button(
                    _("Change status"),
                    url=change_status_url(self.object),
                    icon_name="tag",
                    priority=5,
                )
            )
        return buttons


class FirmInspectView(StatusHistoryMixin, generic.InspectView):
    template_name = "accounts/admin/firms/inspect.html"

    def get_field_label(self, field_name, field):
        if field_name == "collectors":
            return _("Active collectors")
        return super().get_field_label(field_name, field)

    def get_collectors_display_value(self):
        return self.object.active_members().filter(role=MembershipRole.COLLECTOR).count()


class FirmEditView(StatusHistoryMixin, generic.EditView):
    pass


class FirmDeleteView(generic.DeleteView):
    """A firm with members, contracts or findings is history: refuse, with a message."""

    def delete_action(self):
        self._protected = False
        try:
            with transaction.atomic():
                super().delete_action()
        except ProtectedError:
            self._protected = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if getattr(self, "_protected", False):
            list(messages.get_messages(self.request))  # drop the queued "deleted" message
            messages.error(
                self.request,
                _(
                    "“%(firm)s” has memberships or audit findings, so it was not deleted. Change "
                    "its status instead."
                )
                % {"firm": self.object},
            )
            return redirect(self.get_success_url())
        return response


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=FirmStatus.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept in the firm's history with your name and the time."),
    )

    def __init__(self, *args, firm: Firm, **kwargs):
        super().__init__(*args, **kwargs)
        self.firm = firm
        self.fields["status"].choices = [
            (value, label) for value, label in FirmStatus.choices if value != firm.status
        ]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give a reason for the decision."))
        return reason


class FirmChangeStatusView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Admit, suspend, ban or return a firm to review, with a reason (``change_firm``)."""

    permission_required = "change"
    model = Firm
    form_class = ChangeStatusForm
    template_name = "accounts/admin/firms/change_status.html"
    page_title = _("Change status")
    header_icon = "tag"
    index_url_name = None
    edit_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Firm, pk=kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "firm": self.object}

    def get_page_subtitle(self):
        return str(self.object)

    def get_edit_url(self) -> str:
        return reverse(self.edit_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Firms")},
            {"url": self.get_edit_url(), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            status_changes=self.object.status_changes.select_related("decided_by"),
            cancel_url=self.get_edit_url(),
        )
        return context

    def form_valid(self, form):
        change = self.object.change_status(
            form.cleaned_data["status"], by=self.request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            self.request,
            _("%(firm)s is now %(status)s.")
            % {"firm": self.object, "status": change.get_to_status_display()},
        )
        return redirect(self.get_edit_url())


class FirmViewSet(ModelViewSet):
    model = Firm
    name = FIRMS
    url_prefix = "firms"
    icon = "group"
    menu_label = _("Firms")
    form_fields = ["name", "credit_code", "kind"]
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = FirmIndexView
    inspect_view_class = FirmInspectView
    edit_view_class = FirmEditView
    delete_view_class = FirmDeleteView
    change_status_view_class = FirmChangeStatusView
    edit_template_name = "accounts/admin/firms/edit.html"
    list_display = [
        "name",
        Column("credit_code", label=_("Credit code")),
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("collectors", label=_("Active collectors"), sort_key="collectors"),
    ]
    filterset_class = FirmFilterSet
    search_fields = ["name", "credit_code"]
    search_backend_name = None
    inspect_view_fields = ["name", "credit_code", "kind", "status", "collectors", "created_at"]

    def get_form_class(self, for_update: bool = False):
        return FirmForm

    @property
    def change_status_view(self):
        return self.construct_view(
            self.change_status_view_class,
            index_url_name=self.get_url_name("index"),
            edit_url_name=self.get_url_name("edit"),
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("status/<id:pk>/", self.change_status_view, name="change_status"),
        ]


# --- Contracts ---------------------------------------------------------------------------------


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


# --- Memberships -------------------------------------------------------------------------------


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
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        log(instance=self.object, action="wagtail.create", user=self.request.user)
        return self.save_action()


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


class FirmsViewSetGroup(ModelViewSetGroup):
    """合作机构: firms, contracts and memberships, together in the admin menu."""

    menu_icon = "group"
    menu_label = _("Partner firms")
    menu_name = "partner-firms"
    menu_order = 250
    items = (FirmViewSet, ContractViewSet, MembershipViewSet)
