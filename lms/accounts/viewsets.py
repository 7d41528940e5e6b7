"""The Wagtail admin's user and group screens: our user's fields, translated group names."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.widgets import Button
from wagtail.users.views.groups import GroupViewSet as WagtailGroupViewSet
from wagtail.users.views.groups import IndexView as WagtailGroupIndexView
from wagtail.users.views.users import DeleteView as WagtailUserDeleteView
from wagtail.users.views.users import EditView as WagtailUserEditView
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.auditlog.permissions import can_view_trail

from .admin_forms import AdminUserCreationForm, AdminUserEditForm
from .group_labels import group_label
from .onboarding import memberships


class UserDeleteView(WagtailUserDeleteView):
    def delete_action(self) -> None:
        # Deleting a person deletes their memberships too: their ending goes to the audit log,
        # in the deletion's transaction (nothing is recorded if the deletion fails).
        with transaction.atomic():
            memberships.end_for_deleted_account(self.object, by=self.request.user)
            super().delete_action()


class UserEditView(WagtailUserEditView):
    """Wagtail's user edit page, with a link to the person's audit trail (lms.auditlog) in the
    header's "More" menu for those who may read it (superusers and Auditors)."""

    @cached_property
    def header_more_buttons(self) -> list[Button]:
        buttons = list(super().header_more_buttons)
        if can_view_trail(self.request.user):
            buttons.append(
                Button(
                    _("Audit trail"),
                    url=reverse("auditlog_trail:person", args=[self.object.pk]),
                    icon_name="list-ul",
                    priority=50,
                )
            )
        return buttons


class UserViewSet(WagtailUserViewSet):
    edit_view_class = UserEditView
    delete_view_class = UserDeleteView
    create_template_name = "accounts/admin/user_create.html"
    edit_template_name = "accounts/admin/user_edit.html"

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return AdminUserEditForm if for_update else AdminUserCreationForm


class GroupIndexView(WagtailGroupIndexView):
    """Wagtail's group listing, with each group's translated label (``group_labels``)."""

    columns = [
        TitleColumn(
            "name",
            label=_("Name"),
            sort_key="name",
            url_name="wagtailusers_groups:edit",
            accessor=lambda group: group_label(group.name),
        ),
    ]


class GroupViewSet(WagtailGroupViewSet):
    index_view_class = GroupIndexView
