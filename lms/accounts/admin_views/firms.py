"""Firms in the admin: superusers add and edit them (name, credit code, kind).

The admission status is not a form field. Admitting and banning are admission decisions
(``lms.admission.decisions``: a scored review, an expiry, two reviewers for a ban). "Change
status" (:class:`FirmChangeStatusView`, the shared object-action view) only does what one person
may: suspend an admitted firm, return an admitted or suspended firm to pending review, and lift
a suspension while the admission has not expired (:func:`allowed_statuses`); never from or to
"banned", never admitting a pending firm. It asks for a reason and calls ``Firm.change_status``;
the inspect and edit pages list every decision with who, when and why. Once a firm is past
pending, its credit code is read-only (a banned firm's code must stay on the ban list, or it
could apply again). Auditors may look (view permission, migration 0004).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from lms.auditlog.models import EventFirm
from lms.auditlog.permissions import can_view_trail
from lms.lib.admin_actions import (
    HeaderActionsMixin,
    ListingActionsMixin,
    Notice,
    ObjectAction,
    ObjectActionView,
    ObjectActionViewSetMixin,
)

from ..models import Firm, FirmKind, FirmStatus, MembershipRole

FIRMS = "accounts_firms"


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.code_locked:
            field = self.fields["credit_code"]
            field.disabled = True  # the posted value is ignored: the stored code stays
            field.help_text = _(
                "Read-only once the firm has left pending review: admission decisions, the ban "
                "list and refused applications are kept by this code."
            )

    @property
    def code_locked(self) -> bool:
        return self.instance.pk is not None and self.instance.status != FirmStatus.PENDING

    def clean_credit_code(self) -> str:
        if self.code_locked:
            return self.instance.credit_code
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


def can_change_status(user, firm: Firm | None = None) -> bool:
    return user.has_perm("accounts.change_firm")


CHANGE_STATUS = ObjectAction(
    _("Change status"),
    f"{FIRMS}:change_status",
    icon_name="tag",
    priority=5,
    permitted=can_change_status,
)


# The firm's audit trail (lms.auditlog): superusers and Auditors.
AUDIT_TRAIL = ObjectAction(
    _("Audit trail"),
    "auditlog_trail:firm",
    icon_name="list-ul",
    priority=50,
    permitted=can_view_trail,
)


class FirmIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = (CHANGE_STATUS, AUDIT_TRAIL)

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


class StatusHistoryMixin(HeaderActionsMixin):
    """The firm's status decisions, newest first, for the inspect and edit templates."""

    object_actions = (CHANGE_STATUS, AUDIT_TRAIL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        firm = self.object
        context["status_changes"] = firm.status_changes.select_related("decided_by")
        context["change_status_url"] = (
            CHANGE_STATUS.url(firm) if can_change_status(self.request.user) else None
        )
        return context


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


def has_history(firm: Firm) -> bool:
    """Whether ``firm`` has a past that deleting it would erase: any event in the audit log
    naming it, a status change, a contract, an API token, a webhook subscription or a rating
    snapshot (all of which would cascade away with it; memberships and findings protect it at
    the database level). Only a firm with none of these, such as one created by mistake and
    never admitted, may be deleted."""
    return (
        EventFirm.objects.filter(firm_id=firm.pk).exists()
        or firm.status_changes.exists()
        or firm.agency_contracts.exists()
        or firm.lender_contracts.exists()
        or firm.api_tokens.exists()
        or firm.webhook_subscriptions.exists()
        or firm.rating_snapshots.exists()
    )


class FirmDeleteView(generic.DeleteView):
    """A firm with a history (members, contracts, findings, status changes, API tokens, events
    in the audit log) is a record: refuse, with a message. A new firm created by mistake may go.
    """

    def delete_action(self):
        self._protected = False
        try:
            with transaction.atomic():
                Firm.objects.select_for_update().filter(pk=self.object.pk).first()
                if has_history(self.object):
                    raise ProtectedError("The firm has a history.", set())
                super().delete_action()
        except ProtectedError:
            self._protected = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if getattr(self, "_protected", False):
            list(get_messages(self.request))  # drop the queued "deleted" message
            messages.error(
                self.request,
                _(
                    "“%(firm)s” has a history (memberships, audit findings, status changes, API "
                    "tokens or events in the audit log), so it was not deleted. Change its status "
                    "instead."
                )
                % {"firm": self.object},
            )
            return redirect(self.get_success_url())
        return response


def allowed_statuses(firm: Firm) -> list[str]:
    """The statuses one person may move ``firm`` to here (module docstring): suspend an
    admitted firm, return it to pending review, lift a suspension of an unexpired admission."""
    if firm.status == FirmStatus.ADMITTED:
        return [FirmStatus.SUSPENDED, FirmStatus.PENDING]
    if firm.status == FirmStatus.SUSPENDED:
        expires = firm.admission_expires_on
        unexpired = expires is not None and expires >= timezone.localdate()
        return [FirmStatus.ADMITTED, FirmStatus.PENDING] if unexpired else [FirmStatus.PENDING]
    return []  # pending: admitting is an admission decision; banned: final here


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=FirmStatus.choices,
        help_text=_(
            "Here you may suspend an admitted firm, return a firm to pending review, or lift a "
            "suspension while its admission has not expired. Admitting and banning are "
            "admission decisions: a scored review with an expiry, and for a ban two reviewers "
            "and a category, shown on the ban list."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept in the firm's history with your name and the time."),
    )

    def __init__(self, *args, firm: Firm, **kwargs):
        super().__init__(*args, **kwargs)
        self.firm = firm
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)  # the declared field, copied per form
        # Admitting and banning are admission decisions (lms.admission): a scored review with
        # an expiry, a ban by two reviewers; never a one-person status change.
        allowed = allowed_statuses(firm)
        status.choices = [(value, label) for value, label in FirmStatus.choices if value in allowed]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give a reason for the decision."))
        return reason


class FirmChangeStatusView(ObjectActionView):
    """Suspend, lift a suspension of an unexpired admission, or return a firm to pending
    review, with a reason (``change_firm``). Not admit a pending firm nor ban, nor change a
    banned firm: those are admission decisions (``lms.admission.decisions``)."""

    form_class = ChangeStatusForm
    page_title = _("Change status")
    header_icon = "tag"
    return_to = "edit"
    index_label = _("Firms")
    submit_label = _("Record the decision")
    after_template = "accounts/admin/firms/status_history.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "firm": self.object}

    def is_actionable(self) -> bool:
        assert isinstance(self.object, Firm)
        return bool(allowed_statuses(self.object))

    def get_refusal(self) -> str:
        assert isinstance(self.object, Firm)
        if self.object.status == FirmStatus.BANNED:
            return gettext(
                "A banned firm's status does not change here: a ban is an admission decision "
                "taken by two reviewers."
            )
        return gettext(
            "A firm pending review is admitted (or not) by an admission decision: record it "
            "on the firm's application in the admission review."
        )

    def post(self, request, *args, **kwargs):
        if not self.is_actionable():  # the page again, saying why (403)
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def get_details(self):
        firm = self.object
        return [
            (_("Firm"), firm.name),
            (_("Credit code"), firm.credit_code),
            (_("Kind"), firm.get_kind_display()),
            (_("Current status"), firm.get_status_display()),
        ]

    def get_notices(self):
        return [
            Notice(
                _(
                    "Ratings may flag a firm for review; the decision is always yours, and it is "
                    "kept with your name, the time and the reason."
                )
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status_changes"] = self.object.status_changes.select_related("decided_by")
        return context

    def perform(self, firm, form):
        return firm.change_status(
            form.cleaned_data["status"], by=self.request.user, reason=form.cleaned_data["reason"]
        )

    def get_success_message(self, change):
        return _("%(firm)s is now %(status)s.") % {
            "firm": self.object,
            "status": change.get_to_status_display(),
        }


class FirmViewSet(ObjectActionViewSetMixin, ModelViewSet):
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
    action_views = [("change_status", FirmChangeStatusView, "status")]
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
