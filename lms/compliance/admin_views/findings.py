"""Audit findings (稽核) in the Wagtail admin, for auditors.

* Record: date, source, category, severity, description, the regulation article breached (the
  regulation snippet chooser), the collector (a chooser that lists collectors only) and the
  firm — left empty, it is filled in from the collector's membership on that date. Evidence
  files are attached inline. A finding can be edited while it is open; after a decision it is
  locked, so the decision always refers to what was decided on.
* Decide: Confirm or Dismiss an open finding with a note; decide a pending appeal (upheld →
  dismissed, rejected → confirmed). These need the custom ``compliance.decide_finding``
  permission (Auditors, migration 0003; superusers), checked on every request.
* Suspend certificates: on an open critical finding, an auditor holding the custom
  ``compliance.suspend_finding`` permission (Auditors, migration 0007) suspends the collector's
  valid certificates pending the decision — those ticked on the form (all, unless unticked) —
  with a reason. Dismissing reinstates them; the confirmation form (and the appeal decision,
  when it confirms) asks, per suspended certificate, whether to revoke it (with a reason) or
  reinstate it.
* Evidence is downloaded through :func:`download_evidence`, which checks
  ``compliance.view_findingevidence`` (Auditors, superusers). Collectors and managers never get
  the files (they may hold debtors' personal data); the front end only says how many there are.
* Evidence files are checked by content on upload (``lms.uploads.EVIDENCE_TYPES``: images,
  PDF, audio, video, office documents); the detected type is stored and is the type the
  download serves, inline only for raster images and PDF, as an attachment otherwise.

The rules themselves are in ``lms.compliance.findings``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import cast

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from exams.certificates.models import Certificate
from lms import uploads
from lms.accounts.admin_views.people import PersonChooserViewSet
from lms.accounts.models import Firm, User
from lms.accounts.roles import Role
from lms.lib.admin_actions import (
    ListingActionsMixin,
    ObjectAction,
    ObjectActionView,
    ObjectActionViewSetMixin,
    action_buttons,
    display_date,
    display_text,
)
from lms.storage import serve_private

from .. import findings
from ..models import (
    Appeal,
    AppealOutcome,
    Finding,
    FindingCategory,
    FindingEvidence,
    FindingSource,
    FindingStatus,
    FindingSuspension,
    Severity,
)
from ..privacy import log_access

FINDINGS = "compliance_findings"
COLLECTOR_CHOOSER = "compliance_collector_chooser"
EVIDENCE_URL = "compliance_evidence"
DECIDE = "decide"
SUSPEND = "suspend"
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def collectors():
    return User.objects.filter(groups__name=Role.COLLECTOR, is_active=True)


class CollectorChooserViewSet(PersonChooserViewSet):
    choose_one_text = _("Choose a collector")
    choose_another_text = _("Choose another collector")
    chooser_permissions = ("compliance.add_finding", "compliance.change_finding")

    def get_object_list(self):
        return collectors()


collector_chooser_viewset = CollectorChooserViewSet(
    COLLECTOR_CHOOSER, url_prefix="collector-chooser"
)


# --- Evidence ----------------------------------------------------------------------------------


def evidence_url(evidence: FindingEvidence) -> str:
    return reverse(EVIDENCE_URL, args=[evidence.pk])


class EvidenceFileInput(forms.ClearableFileInput):
    """Links an existing file to the permission-checked download, never to its storage URL."""

    class _Link:
        def __init__(self, name: str, url: str):
            self.name, self.url = name, url

        def __str__(self) -> str:
            return PurePosixPath(self.name).name

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        instance = getattr(value, "instance", None)
        if context["widget"]["is_initial"] and instance is not None and instance.pk:
            context["widget"]["value"] = self._Link(value.name, evidence_url(instance))
        return context


def download_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An evidence file to auditors and superusers only; each download is written to the
    personal-data access log.

    Served as the type detected on upload. Raster images and PDF open in the browser; anything
    else (and a file with no detected type) is an attachment, and ``nosniff`` stops the
    browser from second-guessing the type."""
    if not request.user.has_perm("compliance.view_findingevidence"):
        raise PermissionDenied
    evidence = get_object_or_404(
        FindingEvidence.objects.select_related("finding__collector"), pk=pk
    )
    if not evidence.file:
        raise Http404("The evidence has no file.")
    log_access(
        [evidence.finding.collector],
        fields=["finding_evidence"],
        context=f"evidence {evidence.pk} of finding {evidence.finding_id}",
        viewer=request.user,
        firms=[evidence.finding.firm],
    )
    assert evidence.file.name is not None  # a FieldFile is true when it has a name
    kind = uploads.kind_of(evidence.content_type)
    return serve_private(
        evidence.file,
        content_type=kind.mime if kind else uploads.OCTET_STREAM,
        filename=PurePosixPath(evidence.file.name).name,
        as_attachment=not (kind and kind.inline),
    )


# --- The form ----------------------------------------------------------------------------------


class FindingForm(WagtailAdminModelForm):
    """Collectors only; a date not in the future; evidence files of a sensible size."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "collector" in self.fields:
            self.fields["collector"].queryset = collectors()
        if "firm" in self.fields:
            self.fields["firm"].help_text = _(
                "Leave empty to use the collector's firm on the date of the finding."
            )

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return occurred_on

    def is_valid(self) -> bool:
        valid = super().is_valid()
        formset = self.formsets.get("evidence")
        for form in formset.forms if formset is not None else []:
            upload = getattr(form, "cleaned_data", {}).get("file")
            if isinstance(upload, UploadedFile) and not self._check_evidence(form, upload):
                valid = False
        return valid

    @staticmethod
    def _check_evidence(form: forms.ModelForm, upload: UploadedFile) -> bool:
        """Size, then content: record the detected type, and give the file a name whose
        extension agrees with it (WeChat saves PNGs as .jpg)."""
        # forms.FileField refuses an upload without a name or a size.
        assert upload.name is not None and upload.size is not None
        if upload.size > MAX_EVIDENCE_BYTES:
            form.add_error(
                "file",
                _("The file is %(size)s; the limit is 20 MB.")
                % {"size": filesizeformat(upload.size)},
            )
            return False
        try:
            kind = uploads.check_upload(upload, upload.name, uploads.EVIDENCE_TYPES)
        except uploads.UploadRejected as error:
            form.add_error("file", str(error))
            return False
        form.instance.content_type = kind.mime
        form.instance.file.name = uploads.safe_name(upload.name, kind)
        return True


panels = [
    FieldPanel("collector", widget=collector_chooser_viewset.widget_class),
    FieldRowPanel([FieldPanel("occurred_on"), FieldPanel("firm")]),
    FieldRowPanel([FieldPanel("source"), FieldPanel("category"), FieldPanel("severity")]),
    FieldPanel("description"),
    FieldPanel("regulation"),
    MultiFieldPanel(
        [
            InlinePanel(
                "evidence",
                panels=[
                    FieldPanel("file", widget=EvidenceFileInput),
                    FieldPanel("description"),
                ],
                label=_("Evidence file"),
            )
        ],
        heading=_("Evidence"),
    ),
]


# --- Listing -----------------------------------------------------------------------------------


def _choice_filter(label, choices):
    return django_filters.ChoiceFilter(
        label=label, choices=choices, widget=forms.RadioSelect, empty_label=_("All")
    )


class FindingFilterSet(WagtailFilterSet):
    status = _choice_filter(_("Status"), FindingStatus.choices)
    severity = _choice_filter(_("Severity"), Severity.choices)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=FindingCategory.choices, empty_label=_("All")
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=FindingSource.choices, empty_label=_("All")
    )
    firm = django_filters.ModelChoiceFilter(
        label=_("Firm"), queryset=Firm.objects.all(), empty_label=_("All")
    )

    class Meta:
        model = Finding
        fields = ["status", "severity", "category", "source", "firm"]


def action_url(name: str, finding: Finding) -> str:
    return reverse(f"{FINDINGS}:{name}", args=[quote(finding.pk)])


def can_decide(user, finding: Finding) -> bool:
    return finding.status == FindingStatus.OPEN and user.has_perm("compliance.decide_finding")


def can_decide_appeal(user, finding: Finding) -> bool:
    return finding.status == FindingStatus.APPEALED and user.has_perm("compliance.decide_finding")


def can_suspend(user, finding: Finding) -> bool:
    return findings.can_suspend(finding) and user.has_perm("compliance.suspend_finding")


DECISIONS = (
    ObjectAction(_("Confirm"), f"{FINDINGS}:confirm", "check", priority=5, permitted=can_decide),
    ObjectAction(
        _("Suspend certificates"),
        f"{FINDINGS}:suspend_certificates",
        "warning",
        priority=7,
        permitted=can_suspend,
    ),
    ObjectAction(_("Dismiss"), f"{FINDINGS}:dismiss", "cross", priority=6, permitted=can_decide),
    ObjectAction(
        _("Decide the appeal"),
        f"{FINDINGS}:decide_appeal",
        "warning",
        priority=5,
        permitted=can_decide_appeal,
    ),
)


class FindingIndexView(ListingActionsMixin, generic.IndexView):
    object_actions = DECISIONS

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("collector", "firm")


# --- Create, edit, inspect ---------------------------------------------------------------------


class FindingCreateView(generic.CreateView):
    def save_instance(self):
        # save(commit=False) puts the evidence rows on the instance; record() saves them all.
        finding = findings.record(self.form.save(commit=False), by=self.request.user)
        log(instance=finding, action="wagtail.create", user=self.request.user)
        return finding


class FindingEditView(generic.EditView):
    """Open findings only: a decided finding is locked (see module docstring)."""

    def dispatch(self, request, *args, **kwargs):
        finding = get_object_or_404(Finding, pk=kwargs["pk"])
        if finding.status != FindingStatus.OPEN:
            messages.warning(
                request,
                _("This finding is %(status)s and can no longer be edited.")
                % {"status": finding.get_status_display()},
            )
            return redirect(action_url("inspect", finding))
        return super().dispatch(request, *args, **kwargs)

    def save_instance(self):
        # save(commit=False) puts the evidence rows on the instance; correct() saves them all
        # and records what changed in the audit trail.
        finding = findings.correct(self.form.save(commit=False), by=self.request.user)
        log(instance=finding, action="wagtail.edit", user=self.request.user)
        return finding


class FindingInspectView(generic.InspectView):
    template_name = "compliance/admin/findings/inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Finding.objects.select_related(
                "collector", "firm", "regulation", "recorded_by", "decided_by"
            ),
            pk=self.pk,
        )

    def get_regulation_display_value(self) -> str:
        # An optional link: say that none was given rather than "None".
        return str(self.object.regulation) if self.object.regulation_id else "—"

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.object.status != FindingStatus.OPEN:
            edit_url = action_url("edit", self.object)
            buttons = [button for button in buttons if button.url != edit_url]
        return buttons + action_buttons(self.request.user, self.object, DECISIONS)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["evidence"] = [
            (item, evidence_url(item))
            for item in self.object.evidence.select_related("uploaded_by")
        ]
        context["appeal"] = (
            Appeal.objects.filter(finding=self.object)
            .select_related("appellant", "decided_by")
            .first()
        )
        context["can_download"] = self.request.user.has_perm("compliance.view_findingevidence")
        context["suspensions"] = (
            FindingSuspension.objects.filter(finding=self.object)
            .select_related("suspension__certificate", "suspension__started_by")
            .order_by("suspension__started_at", "pk")
        )
        return context

    def get_collector_display_value(self):
        collector = self.object.collector
        return f"{collector.legal_name or '—'} <{collector.email}>"


# --- Decisions ---------------------------------------------------------------------------------


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with the finding and shown to the collector and their manager."),
    )


class ResolutionsMixin:
    """One choice per certificate suspended pending the finding: revoke (with a reason) or
    reinstate. ``resolutions()`` gives them to the findings service."""

    RESOLUTION_CHOICES = [
        (findings.REINSTATE, _("Reinstate the certificate")),
        (findings.REVOKE, _("Revoke the certificate")),
    ]
    fields: dict
    cleaned_data: dict

    def add_resolution_fields(self, pending: list[FindingSuspension]) -> None:
        self.pending = pending
        for link in pending:
            certificate = link.suspension.certificate
            self.fields[f"action_{certificate.pk}"] = forms.ChoiceField(
                label=_("Certificate %(serial)s (%(programme)s)")
                % {"serial": certificate.serial, "programme": certificate.programme_name},
                choices=self.RESOLUTION_CHOICES,
                widget=forms.RadioSelect,
                required=self.resolutions_required,
            )
            self.fields[f"reason_{certificate.pk}"] = forms.CharField(
                label=_("Reason for revoking %(serial)s") % {"serial": certificate.serial},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Required to revoke: the holder is told it."),
            )

    resolutions_required = True

    def clean_resolutions(self) -> None:
        for link in self.pending:
            pk = link.suspension.certificate_id
            action = self.cleaned_data.get(f"action_{pk}")
            if action == findings.REVOKE and not self.cleaned_data.get(f"reason_{pk}", "").strip():
                self.add_error(f"reason_{pk}", _("Give the reason for revoking it."))  # type: ignore[attr-defined]

    def resolutions(self) -> dict[int, findings.Resolution]:
        chosen = {}
        for link in self.pending:
            pk = link.suspension.certificate_id
            action = self.cleaned_data.get(f"action_{pk}")
            if action:
                chosen[pk] = findings.Resolution(action, self.cleaned_data.get(f"reason_{pk}", ""))
        return chosen


class ConfirmForm(ResolutionsMixin, DecisionNoteForm):
    def __init__(self, *args, pending: list[FindingSuspension], **kwargs):
        super().__init__(*args, **kwargs)
        self.add_resolution_fields(pending)

    def clean(self):
        cleaned = super().clean()
        self.clean_resolutions()
        return cleaned


class AppealDecisionForm(ResolutionsMixin, DecisionNoteForm):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=AppealOutcome.choices, widget=forms.RadioSelect
    )
    field_order = ["outcome", "note"]
    # Only a rejected appeal (the finding stands) needs them: upheld reinstates every one.
    resolutions_required = False

    def __init__(self, *args, pending: list[FindingSuspension] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_resolution_fields(pending or [])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == AppealOutcome.REJECTED:
            for link in self.pending:
                name = f"action_{link.suspension.certificate_id}"
                if not cleaned.get(name):
                    self.add_error(name, _("Choose whether to revoke or reinstate it."))
            self.clean_resolutions()
        return cleaned


class SuspendForm(forms.Form):
    """The reason, and which of the collector's valid certificates to suspend (all ticked)."""

    certificates = forms.TypedMultipleChoiceField(
        label=_("Certificates to suspend"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick a certificate to leave it valid."),
        error_messages={"required": _("Choose at least one certificate to suspend.")},
    )
    reason = forms.CharField(
        label=_("Reason for the suspension"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept with each suspension. The verification page and the platform API show only "
            "that the certificate is suspended pending an audit finding, and since when."
        ),
    )

    def __init__(self, *args, certificates: list[Certificate], **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["certificates"])
        field.choices = [(c.pk, _describe(c)) for c in certificates]
        field.initial = [c.pk for c in certificates]


class FindingDecisionView(ObjectActionView):
    """Base of the decision forms: the ``decide_finding`` permission (else Wagtail's redirect).

    Each subclass (the only views routed) applies its decision through the findings service in
    ``perform``; a ValidationError it raises is shown on the form instead.
    """

    permission_required = DECIDE
    form_class = DecisionNoteForm
    index_label = _("Audit findings")
    allowed_status = FindingStatus.OPEN

    def get_queryset(self):
        return Finding.objects.select_related("collector", "firm")

    def get_details(self):
        finding = self.object
        details = [
            (_("Collector"), f"{finding.collector} <{finding.collector.email}>"),
            (_("Firm"), finding.firm or "—"),
            (_("Date"), display_date(finding.occurred_on)),
            (
                _("Category"),
                f"{finding.get_category_display()} · {finding.get_severity_display()}",
            ),
            (_("Status"), finding.get_status_display()),
            (_("Description"), display_text(finding.description)),
        ]
        appeal = Appeal.objects.filter(finding=finding).select_related("appellant").first()
        if appeal:
            details += [
                (_("Appeal grounds"), display_text(appeal.grounds)),
                (_("Appellant"), appeal.appellant),
            ]
        return details

    def is_actionable(self):
        return self.object.status == self.allowed_status

    def get_refusal(self):
        return _("This finding is %(status)s: there is nothing to decide here.") % {
            "status": self.object.get_status_display()
        }


class NoteDecisionView(FindingDecisionView):
    """Confirm or dismiss an open finding with a note, through ``decide`` (the service call)."""

    decide: Callable[..., Finding]

    def perform(self, finding, form):
        self.decide(finding, by=self.request.user, note=form.cleaned_data["note"])


def _describe(certificate) -> str:
    return f"{certificate.serial} ({certificate.programme_name})"


class PendingDecisionView(FindingDecisionView):
    """A decision form that asks what becomes of certificates suspended pending the finding."""

    @cached_property
    def pending(self) -> list[FindingSuspension]:
        return findings.pending_suspensions(cast(Finding, self.object))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pending": self.pending}

    def get_details(self):
        details = super().get_details()
        if self.pending:
            listed = ", ".join(_describe(link.suspension.certificate) for link in self.pending)
            details.append((_("Suspended pending this finding"), listed))
        return details


class ConfirmView(PendingDecisionView):
    form_class = ConfirmForm  # type: ignore[assignment]
    page_title = _("Confirm finding")
    submit_label = _("Confirm the finding")
    success_message = _("The finding is confirmed and the collector has been told.")

    def perform(self, finding, form):
        findings.confirm(
            finding,
            by=self.request.user,
            note=form.cleaned_data["note"],
            resolutions=form.resolutions(),
        )


class DismissView(NoteDecisionView):
    decide = staticmethod(findings.dismiss)
    page_title = _("Dismiss finding")
    submit_label = _("Dismiss the finding")
    success_message = _("The finding is dismissed.")
    warning = _("Certificates suspended pending this finding, if any, are reinstated.")


class DecideAppealView(PendingDecisionView):
    form_class = AppealDecisionForm
    page_title = _("Decide the appeal")
    submit_label = _("Record the decision")
    allowed_status = FindingStatus.APPEALED

    def perform(self, finding, form):
        return findings.decide_appeal(
            finding,
            by=self.request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            resolutions=form.resolutions(),
        )

    def get_success_message(self, filed):
        if filed.outcome == AppealOutcome.UPHELD:
            return _("The appeal is upheld: the finding is dismissed.")
        return _("The appeal is rejected: the finding is confirmed.")


class SuspendCertificatesView(FindingDecisionView):
    """Suspend the collector's valid certificates while a critical finding is open
    (``compliance.suspend_finding``)."""

    permission_required = SUSPEND
    form_class = SuspendForm  # type: ignore[assignment]
    page_title = _("Suspend certificates pending this finding")
    submit_label = _("Suspend the certificates")
    submit_class = "button serious"
    warning = _(
        "The collector's valid certificates stop counting as valid at once (verification page, "
        "status list, rating, platform API). Dismissing the finding reinstates them; confirming "
        "it asks you, for each one, to revoke or reinstate it."
    )

    @cached_property
    def suspendable(self) -> list[Certificate]:
        return findings.suspendable_certificates(cast(Finding, self.object))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "certificates": self.suspendable}

    def is_actionable(self):
        return findings.can_suspend(self.object) and bool(self.suspendable)

    def get_refusal(self):
        if not findings.can_suspend(self.object):
            return _("Certificates can be suspended only while a critical finding is open.")
        return _("None: the collector holds no valid certificate.")

    def perform(self, finding, form):
        return findings.suspend_certificates(
            finding,
            by=self.request.user,
            reason=form.cleaned_data["reason"],
            certificate_ids=form.cleaned_data["certificates"],
        )

    def get_success_message(self, links):
        return ngettext(
            "%(count)d certificate is suspended pending this finding.",
            "%(count)d certificates are suspended pending this finding.",
            len(links),
        ) % {"count": len(links)}


# --- The viewset -------------------------------------------------------------------------------


class FindingViewSet(ObjectActionViewSetMixin, ModelViewSet):
    model = Finding
    name = FINDINGS
    url_prefix = "findings"
    icon = "warning"
    menu_label = _("Audit findings")
    menu_order = 270
    add_to_admin_menu = True
    panels = panels
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = FindingIndexView
    action_views = [
        ("confirm", ConfirmView),
        ("dismiss", DismissView),
        ("decide_appeal", DecideAppealView),
        ("suspend_certificates", SuspendCertificatesView),
    ]
    add_view_class = FindingCreateView
    edit_view_class = FindingEditView
    inspect_view_class = FindingInspectView
    list_per_page = 50
    list_display = [
        "__str__",
        Column("firm", label=_("Firm")),
        # The day it happened, not "3 days ago" from midnight.
        Column("occurred_on", label=_("Date"), sort_key="occurred_on"),
        Column(
            "severity", label=_("Severity"), accessor="get_severity_display", sort_key="severity"
        ),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
    ]
    filterset_class = FindingFilterSet
    # Substring search: Chinese names and descriptions have no word boundaries to index.
    search_fields = ["collector__legal_name", "collector__email", "description"]
    search_backend_name = None
    inspect_view_fields = [
        "collector",
        "firm",
        "occurred_on",
        "source",
        "category",
        "severity",
        "description",
        "regulation",
        "status",
        "recorded_by",
        "recorded_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=FindingForm).bind_to_model(self.model)

    def get_common_view_kwargs(self, **kwargs):
        # A finding is a decision of record: never deleted, by anyone (a mistaken one is
        # dismissed, with a note, in the audit trail). No delete view, button or URL.
        return {**super().get_common_view_kwargs(**kwargs), "delete_url_name": None}

    def get_urlpatterns(self):
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if getattr(pattern, "name", None) != "delete"
        ]


def admin_urls() -> list:
    """Registered with ``register_admin_urls``: under /admin/, so admin access is checked too."""
    return [path("evidence/<id:pk>/", download_evidence, name=EVIDENCE_URL)]
