"""The ban list in the admin (namespace ``admission_ban_list``): every banned firm with its
credit code, the ban category, when it was banned and by whom (decided and confirmed).

For platform staff who may view firms (admission reviewers, auditors, superusers); read-only,
since a ban is made and lifted only by decisions (``lms.admission.decisions`` and the firm's
"Change status"). The row leads to the firm's page with its whole history. A banned credit code
cannot apply again (``lms.admission.application.refusal_reason``).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from lms.accounts.models import BanCategory, Firm, FirmStatus, FirmStatusChange

BAN_LIST = "admission_ban_list"


def banned_firms():
    """Banned firms, each annotated with its latest ban: category, date, the two people."""
    ban = FirmStatusChange.objects.filter(
        firm=OuterRef("pk"), to_status=FirmStatus.BANNED
    ).order_by("-decided_at", "-pk")

    def person(field: str) -> Coalesce:
        # The person as their __str__ shows them: the legal name, else the email address.
        return Coalesce(
            NullIf(Subquery(ban.values(f"{field}__legal_name")[:1]), Value("")),
            Subquery(ban.values(f"{field}__email")[:1]),
            Value(""),
            output_field=CharField(),
        )

    return Firm.objects.filter(status=FirmStatus.BANNED).annotate(
        ban_category=Subquery(ban.values("category")[:1]),
        banned_at=Subquery(ban.values("decided_at")[:1]),
        banned_by=person("decided_by"),
        ban_confirmed_by=person("confirmed_by"),
    )


def category_label(firm: Firm) -> str:
    category = getattr(firm, "ban_category", "")  # annotated by banned_firms()
    return str(BanCategory(category).label) if category else ""


class BanListFilterSet(WagtailFilterSet):
    ban_category = django_filters.ChoiceFilter(
        label=_("Ban category"),
        choices=BanCategory.choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
        field_name="ban_category",
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=Firm._meta.get_field("kind").choices,
        widget=forms.RadioSelect,
        empty_label=_("All"),
    )

    class Meta:
        model = Firm
        fields = ["kind"]


class BanListIndexView(generic.IndexView):
    """Only the listing: no add, edit or delete here; a row opens the firm's page."""

    page_title = _("Ban list")
    default_ordering = "-banned_at"

    def get_base_queryset(self):
        return banned_firms()

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None

    def get_inspect_url(self, instance):
        if self.user_has_permission("view"):
            return reverse("accounts_firms:inspect", args=[instance.pk])
        return None


class BanListViewSet(ModelViewSet):
    model = Firm
    name = BAN_LIST
    url_prefix = "admission/ban-list"
    icon = "lock"
    menu_label = _("Ban list")
    add_to_admin_menu = True
    index_view_class = BanListIndexView
    filterset_class = BanListFilterSet
    search_fields = ["name", "credit_code"]
    search_backend_name = None
    form_fields = ["name"]
    list_display = [
        "name",
        Column("credit_code", label=_("Credit code")),
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
        Column("ban_category", label=_("Ban category"), accessor=category_label),
        DateColumn("banned_at", label=_("Banned on"), sort_key="banned_at"),
        Column("banned_by", label=_("Decided by")),
        Column("ban_confirmed_by", label=_("Confirmed by")),
    ]

    def get_urlpatterns(self) -> list:
        # The listing only: the firm itself is edited in the Firms admin (accounts_firms).
        return [p for p in super().get_urlpatterns() if p.name in {"index", "index_results"}]

    def register_admin_url_finder(self) -> None:
        """The Firms admin (accounts_firms) is where a firm's admin URL leads, not here."""

    def register_reference_index(self) -> None:
        """Firms are indexed by the Firms admin already."""
