"""The admin's 审计记录 (audit trail) pages: the whole log, a person's, a firm's or a
certificate's trail, and one event with its content, hashes and link check.

For superusers and Auditors (``auditlog.view_auditevent``, migration 0004); other admin users
get a 403, people without admin access Wagtail's redirect. Every page shows the verification
status (the latest full verification and checkpoint). People are shown masked; holders of
``auditlog.view_personal_data`` may unmask one event's personal part with a POST (never a link,
so no page or image elsewhere can make an auditor "look"), and that look is itself recorded
as a ``personal_data.viewed`` event in the same transaction as it is shown.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import include, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import chain, events, trail
from .event_check import check_event
from .models import ActorKind, AuditEvent
from .permissions import can_see_personal, can_view_trail
from .signals import personal_data_shown

NAMESPACE = "auditlog_trail"


class TrailPermissionMixin(View):
    """A 403 for admin users without the permission (Wagtail would turn a raised
    PermissionDenied into a redirect to the dashboard, hiding why)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view_trail(request.user):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)


class TrailView(TrailPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A trail, newest first, filtered and paginated; the scope comes from the URL."""

    template_name = "auditlog/admin/trail.html"
    header_icon = "list-ul"
    scope_kind = "all"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.scope = trail.Scope(self.scope_kind, kwargs.get("pk", 0))
        self.form = trail.TrailFilterForm(request.GET or None)
        queryset = self.form.apply(self.scope.events()).order_by("-seq")
        self.page = Paginator(queryset, trail.PER_PAGE).get_page(request.GET.get("p"))
        self.page_events = list(self.page.object_list)
        self.title = trail.scope_title(self.scope, self.page_events)
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return self.title

    def get_breadcrumbs_items(self) -> list[dict]:
        items = [*self.breadcrumbs_items]
        if self.scope.kind != "all":
            items.append({"url": reverse(f"{NAMESPACE}:index"), "label": gettext("Audit trail")})
        return [*items, {"url": "", "label": self.title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.form,
            page_obj=self.page,
            rows=[trail.row(event) for event in self.page_events],
            status=trail.status(),
            scope=self.scope,
        )
        return context


class PersonTrailView(TrailView):
    scope_kind = "person"


class FirmTrailView(TrailView):
    scope_kind = "firm"


class CertificateTrailView(TrailView):
    scope_kind = "certificate"


class EventView(TrailPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One event: what, who, about what, the facts, the personal part (masked unless unmasked
    by a POST), its hashes and its own link check."""

    template_name = "auditlog/admin/event.html"
    header_icon = "list-ul"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.unmasked = False

    def _load(self, seq: int) -> None:
        # After the permission check: a 403 says nothing about which events exist.
        self.event = get_object_or_404(AuditEvent, seq=seq)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._load(kwargs["seq"])
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Show the personal part in full, and record that this user saw it."""
        if not can_see_personal(request.user):
            return permission_denied(request, PermissionDenied())
        self._load(kwargs["seq"])
        if self.event.personal:
            with transaction.atomic():
                record_personal_view(self.event, request.user)
            self.unmasked = True
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return gettext("Event %(seq)s: %(event)s") % {
            "seq": self.event.seq,
            "event": events.label(self.event.event_type),
        }

    def get_breadcrumbs_items(self) -> list[dict]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{NAMESPACE}:index"), "label": gettext("Audit trail")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        event = self.event
        personal = event.personal or {}
        shown = personal if self.unmasked else trail.mask_value(personal)
        context.update(
            row=trail.row(event),
            event=event,
            payload=json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True),
            personal=json.dumps(shown, ensure_ascii=False, indent=2, sort_keys=True)
            if personal
            else "",
            unmasked=self.unmasked,
            may_unmask=bool(personal) and not self.unmasked and can_see_personal(self.request.user),
            link=check_event(event),
            status=trail.status(),
            person_ids=event.persons,
        )
        return context


def record_personal_view(event: AuditEvent, viewer: Any) -> AuditEvent:
    """``personal_data.viewed``: ``viewer`` saw the personal part of ``event`` unmasked. The
    people concerned are those the part names: the event's persons, a person who acted, a
    person it is about."""
    people = set(event.persons)
    if event.actor_kind == ActorKind.USER and event.actor_id.isdigit():
        people.add(int(event.actor_id))
    if event.subject_type == trail.user_type() and event.subject_id.isdigit():
        people.add(int(event.subject_id))
    fields = sorted(key for key in (event.personal or {}) if key != "salt")
    context = f"audit trail: event {event.seq}"
    # The people's own access logs ("my data") live in an app above this one: tell it.
    personal_data_shown.send(
        sender=AuditEvent, viewer=viewer, person_ids=sorted(people), fields=fields, context=context
    )
    return chain.record(
        "personal_data.viewed",
        subject=("auditlog.auditevent", event.seq),
        subject_label=f"audit event {event.seq}",
        actor=viewer,
        firms=event.firms,  # as the event names them: ids with their credit codes
        persons=sorted(people),
        payload={
            "fields": fields,
            "context": context,
            "event_seq": event.seq,
        },
    )


# --- Registration (wagtail_hooks.py) ----------------------------------------------------------

urlpatterns = [
    path("", TrailView.as_view(), name="index"),
    path("person/<int:pk>/", PersonTrailView.as_view(), name="person"),
    path("firm/<int:pk>/", FirmTrailView.as_view(), name="firm"),
    path("certificate/<int:pk>/", CertificateTrailView.as_view(), name="certificate"),
    path("event/<int:seq>/", EventView.as_view(), name="event"),
]


def admin_urls() -> list:
    """For the ``register_admin_urls`` hook: /admin/audit-trail/."""
    return [path("audit-trail/", include((urlpatterns, NAMESPACE), namespace=NAMESPACE))]


class TrailMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_trail(request.user)


def menu_item() -> MenuItem:
    """For the ``register_admin_menu_item`` hook: 审计记录, after the partner firms."""
    return TrailMenuItem(
        _("Audit trail"),
        reverse(f"{NAMESPACE}:index"),
        name="audit-trail",
        icon_name="list-ul",
        order=260,
    )
