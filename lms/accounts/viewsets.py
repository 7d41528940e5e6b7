"""The Wagtail admin's user screens, showing the fields our user model has."""

from __future__ import annotations

from django import forms
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from .admin_forms import AdminUserCreationForm, AdminUserEditForm


class UserViewSet(WagtailUserViewSet):
    create_template_name = "accounts/admin/user_create.html"
    edit_template_name = "accounts/admin/user_edit.html"

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return AdminUserEditForm if for_update else AdminUserCreationForm
