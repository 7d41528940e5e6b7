"""Certification in the Wagtail admin, under one 认证 (Certification) menu.

* Programmes: trainers add and change them (Reviewers may look); a ``ModelViewSet`` with the
  model's own ``panels``.
* Certificates: read-only — they are issued, never typed in — so the viewset has no add, edit,
  copy or delete routes at all, only the listing (filters, search), the inspect view, and a
  "Revoke" form for holders of the custom ``certificates.revoke_certificate`` permission (Auditors,
  from migration 0005; superusers).
* Update modules: trainers attach a "what changed" course to a programme for a change in the
  law, with an optional deadline (permissions as for programmes, migration 0004); the listing
  shows the deadline in force and how many holders are affected, notified, refreshed and
  suspended (``updates.py``).
* Issuances: the requests behind certificates, read-only, so an administrator can see one that
  is stuck or failing (with its last error). Only superusers have the permission.

``ModelViewSet`` rather than snippets for the same reasons as the question banks
(``exams/viewsets.py``): no revisions or drafts are wanted, and a snippet would turn every
foreign key to these models into a modal chooser.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button
from wagtail.permissions import policy_registry

from exams.viewsets import ProtectedDeleteView
from lms.auditlog.permissions import can_view_trail
from lms.lib.admin_actions import (
    ListingActionsMixin,
    ObjectAction,
    ObjectActionView,
    ObjectActionViewSetMixin,
    display_date,
)

from . import lifecycle, updates
from .models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    IssuanceRequest,
    UpdateModule,
)

CERTIFICATES = "exams_certificates"
PROGRAMMES = "exams_certification_programmes"
UPDATE_MODULES = "exams_certificate_update_modules"
ISSUANCES = "exams_certificate_issuances"
REVOKE_PERMISSION = "certificates.revoke_certificate"


def can_revoke(user, certificate: Certificate) -> bool:
    return certificate.status in lifecycle.REVOCABLE and user.has_perm(REVOKE_PERMISSION)


# --- Read-only viewsets ------------------------------------------------------------------------


class InspectURLFinder(ModelAdminURLFinder):
    """Links from elsewhere in the admin (e.g. the audit log) go to the inspect view."""

    def get_edit_url(self, instance):
        policy = policy_registry.get(instance)
        if self.user and policy and not policy.user_has_permission(self.user, "view"):
            return None
        return self.construct_edit_url(instance)


class ReadOnlyModelViewSet(ModelViewSet):
    """Listing and inspect only: these rows are written by the system, never in a form.

    The add, edit, copy, delete, history and usage routes are not registered, so no button,
    menu or URL can lead to them, whatever permissions a user holds.
    """

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]

    @property
    def url_finder_class(self):
        return type(
            "_InspectURLFinder",
            (InspectURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )


# --- Certificates ------------------------------------------------------------------------------


class CertificateFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=CertificateStatus.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        queryset=CertificationProgramme.objects.all(),
        empty_label=_("All"),
    )

    class Meta:
        model = Certificate
        fields = ["status", "programme"]


REVOKE = ObjectAction(
    _("Revoke"), f"{CERTIFICATES}:revoke", icon_name="warning", priority=40, permitted=can_revoke
)
# The certificate's audit trail (lms.auditlog): superusers and Auditors.
AUDIT_TRAIL = ObjectAction(
    _("Audit trail"),
    "auditlog_trail:certificate",
    icon_name="list-ul",
    priority=30,
    permitted=can_view_trail,
)


class CertificateIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = (REVOKE, AUDIT_TRAIL)

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("programme")


class CertificateInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            Certificate.objects.select_related("programme", "holder", "revoked_by"),
            pk=self.pk,
        )

    @cached_property
    def header_more_buttons(self):
        certificate = self.object
        buttons = [
            Button(
                _("Download PDF"),
                url=reverse("certificates:pdf", args=[certificate.pk]),
                icon_name="download",
                priority=10,
            ),
            Button(
                _("Verification page"),
                url=certificate.verification_url,
                icon_name="link-external",
                attrs={"target": "_blank", "rel": "noopener"},
                priority=20,
            ),
        ]
        return [
            *buttons,
            *AUDIT_TRAIL.buttons(self.request.user, certificate),
            *REVOKE.buttons(self.request.user, certificate),
        ]

    def get_holder_display_value(self):
        holder = self.object.holder
        return f"{holder.legal_name or holder} <{holder.email}>"

    def get_verification_code_display_value(self):
        return self.object.absolute_verification_url


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Recorded with the certificate and emailed to the holder. The public verification "
            "page shows only that it was revoked, and when."
        ),
    )


class CertificateRevokeView(ObjectActionView):
    """Revoke a certificate, with a reason (``certificates.revoke_certificate``; else a 403)."""

    permission_required = "revoke"
    form_class = RevokeForm
    page_title = _("Revoke certificate")
    index_label = _("Certificates")
    submit_label = _("Revoke certificate")
    submit_class = "button serious"
    # A plain 403 (as the exam reports give), not Wagtail's redirect to the dashboard: a
    # trainer who follows a revoke link should see that they may not, not be moved away.
    deny_with_403 = True
    refusals = (lifecycle.RevocationError,)
    warning = _(
        "Revoking cannot be undone. The certificate's verification page, its digital "
        "credential and the published revocation list will show it as revoked at once, and "
        "the holder is emailed the reason."
    )

    def get_queryset(self):
        return Certificate.objects.select_related("programme", "holder")

    def get_details(self):
        certificate = self.object
        return [
            (_("Serial number"), certificate.serial),
            (_("Holder"), f"{certificate.holder_name} <{certificate.holder.email}>"),
            (_("Programme"), certificate.programme_name),
            (_("Status"), certificate.get_status_display()),
            (_("Valid until"), display_date(certificate.expires_at)),
        ]

    def is_actionable(self):
        return self.object.status in lifecycle.REVOCABLE

    def get_refusal(self):
        return _(
            "This certificate is %(status)s: only a valid, expired or suspended certificate "
            "can be revoked."
        ) % {"status": self.object.get_status_display()}

    def perform(self, certificate, form):
        lifecycle.revoke(certificate, by=self.request.user, reason=form.cleaned_data["reason"])

    def get_success_message(self, result):
        return _("Certificate %(serial)s has been revoked and its holder notified.") % {
            "serial": self.object.serial
        }


class CertificateViewSet(ObjectActionViewSetMixin, ReadOnlyModelViewSet):
    model = Certificate
    name = CERTIFICATES
    url_prefix = "certificates"
    icon = "success"
    menu_label = _("Certificates")
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    action_views = [("revoke", CertificateRevokeView)]
    list_per_page = 50
    list_display = [
        "serial",
        "holder_name",
        "programme_name",
        "status",
        DateColumn("issued_at", label=_("Issued"), sort_key="issued_at"),
        DateColumn("expires_at", label=_("Expires"), sort_key="expires_at"),
    ]
    filterset_class = CertificateFilterSet
    # A substring match: Chinese names have no word boundaries for a search backend to use.
    search_fields = ["serial", "holder_name"]
    search_backend_name = None
    inspect_view_fields = [
        "serial",
        "holder_name",
        "holder",
        "programme_name",
        "score",
        "status",
        "issued_at",
        "expires_at",
        "status_changed_at",
        "revoked_at",
        "revoked_by",
        "revocation_reason",
        "superseded_by",
        "verification_code",
        "notified_at",
    ]


# --- Issuance requests -------------------------------------------------------------------------


class IssuanceStateFilter(django_filters.ChoiceFilter):
    OPEN, FAILING, DONE = "open", "failing", "done"

    def __init__(self, **kwargs):
        choices = [
            (self.OPEN, _("Being issued")),
            (self.FAILING, _("Failing (retrying)")),
            (self.DONE, _("Completed")),
        ]
        super().__init__(choices=choices, widget=forms.RadioSelect, empty_label=_("All"), **kwargs)

    def filter(self, queryset, value):
        if value == self.OPEN:
            return queryset.filter(completed_at__isnull=True)
        if value == self.FAILING:
            return queryset.filter(completed_at__isnull=True, failures__gt=0)
        if value == self.DONE:
            return queryset.filter(completed_at__isnull=False)
        return queryset


class IssuanceRequestFilterSet(WagtailFilterSet):
    state = IssuanceStateFilter(label=_("State"))
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        queryset=CertificationProgramme.objects.all(),
        empty_label=_("All"),
    )

    class Meta:
        model = IssuanceRequest
        fields = ["state", "programme"]


class IssuanceRequestIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("holder", "programme")


def issuance_state(request: IssuanceRequest) -> str:
    if request.completed_at is not None:
        return str(_("Completed")) if not request.last_error else str(_("Closed without issuing"))
    return str(_("Failing (retrying)")) if request.failures else str(_("Being issued"))


class IssuanceRequestViewSet(ReadOnlyModelViewSet):
    model = IssuanceRequest
    name = ISSUANCES
    url_prefix = "certificate-issuances"
    icon = "time"
    menu_label = _("Issuances")
    index_view_class = IssuanceRequestIndexView
    list_per_page = 50
    list_display = [
        "holder",  # the title column: it links to the inspect view, where the full error is
        "programme",
        "kind",
        Column("state", label=_("State"), accessor=issuance_state),
        DateColumn("created_at", label=_("Requested"), sort_key="created_at"),
        DateColumn("dispatched_at", label=_("Last dispatched"), sort_key="dispatched_at"),
        Column("failures", label=_("Failed tries"), sort_key="failures"),
        Column(
            "last_error",
            label=_("Last error"),
            accessor=lambda request: Truncator(request.last_error).chars(80),
        ),
    ]
    filterset_class = IssuanceRequestFilterSet
    search_fields = ["holder__email", "holder__legal_name"]
    search_backend_name = None


# --- Programmes --------------------------------------------------------------------------------


class CertificationProgrammeViewSet(ModelViewSet):
    model = CertificationProgramme
    name = PROGRAMMES
    url_prefix = "certification-programmes"
    icon = "tasks"
    menu_label = _("Programmes")
    inspect_view_enabled = True
    copy_view_enabled = False
    delete_view_class = ProtectedDeleteView
    list_display = [
        "name",
        Column("code", label=_("Code")),
        Column("validity_months", label=_("Validity (months)"), sort_key="validity_months"),
        Column("renewal_window_days", label=_("Renewal window (days)")),
        BooleanColumn("is_active", label=_("Active"), sort_key="is_active"),
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    search_backend_name = None


# --- Update modules ----------------------------------------------------------------------------


class UpdateModuleIndexView(generic.IndexView):
    def get_base_queryset(self):
        # The counts are subqueries; "affected" (a basis look-up) is one query for the page
        # (get_table).
        return (
            super()
            .get_base_queryset()
            .select_related("programme", "course", "change__old", "change__new")
            .annotate(
                notified=Count("notices", distinct=True),
                refreshed=Count(
                    "issuance_requests",
                    filter=Q(issuance_requests__certificate__isnull=False),
                    distinct=True,
                ),
                suspended=Count(
                    "suspensions", filter=Q(suspensions__ended_at__isnull=True), distinct=True
                ),
            )
        )

    def get_table(self, object_list):
        modules = list(object_list)
        counts = updates.affected_counts(modules)
        for module in modules:
            module.affected = counts[module.pk]
        return super().get_table(modules)


class UpdateModuleForm(WagtailAdminModelForm):
    """The deadline may not lie in the past nor before the new version takes effect; once
    holders were notified or suspended, the programme and the change are fixed (changing them
    would leave those holders outside the module)."""

    class Meta:
        model = UpdateModule
        fields = ["programme", "change", "course", "deadline"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        module = self.instance
        if module.pk and (module.notices.exists() or module.suspensions.exists()):
            for name in ("programme", "change"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed: holders have been notified or suspended under this module."
                )

    def clean(self):
        cleaned = super().clean()
        deadline, change = cleaned.get("deadline"), cleaned.get("change")
        if deadline is None:
            return cleaned
        if deadline < timezone.localdate() and (
            self.instance.pk is None or "deadline" in self.changed_data
        ):
            self.add_error("deadline", _("The update deadline cannot be in the past."))
        elif change is not None and deadline < change.takes_effect:
            self.add_error(
                "deadline",
                _("The update deadline cannot be before the new version takes effect (%(date)s).")
                % {"date": display_date(change.takes_effect)},
            )
        return cleaned


class UpdateModuleCreateView(generic.CreateView):
    def save_instance(self):
        instance = self.form.save(commit=False)
        instance.created_by = self.request.user
        instance.save()
        return instance


def _effective_deadline(module: UpdateModule):
    deadline = module.effective_deadline
    return display_date(deadline) if deadline else _("Not published yet")


class UpdateModuleViewSet(ModelViewSet):
    model = UpdateModule
    name = UPDATE_MODULES
    url_prefix = "certificate-update-modules"
    icon = "repeat"
    menu_label = _("Update modules")
    copy_view_enabled = False
    delete_view_class = ProtectedDeleteView
    index_view_class = UpdateModuleIndexView
    add_view_class = UpdateModuleCreateView
    form_fields = ["programme", "change", "course", "deadline"]

    def get_form_class(self, for_update=False):
        return UpdateModuleForm

    list_display = [
        Column("programme", label=_("Programme")),
        Column("change", label=_("Law change")),
        Column("course", label=_("Update course")),
        Column("deadline", label=_("Update deadline"), accessor=_effective_deadline),
        Column(
            "affected",
            label=_("Holders affected"),
            accessor=lambda module: module.affected,  # counted for the page (index view)
        ),
        Column("notified", label=_("Holders notified"), sort_key="notified"),
        Column("refreshed", label=_("Holders refreshed"), sort_key="refreshed"),
        Column("suspended", label=_("Holders suspended"), sort_key="suspended"),
    ]
    list_filter = ["programme"]
    search_fields = ["course__title", "programme__name"]
    search_backend_name = None


class CertificationViewSetGroup(ModelViewSetGroup):
    """认证: programmes, certificates and issuances, together in the admin menu."""

    menu_icon = "success"
    menu_label = _("Certification")
    menu_name = "certification"
    menu_order = 260
    items = (
        CertificationProgrammeViewSet,
        UpdateModuleViewSet,
        CertificateViewSet,
        IssuanceRequestViewSet,
    )
