"""Wagtail's user create/edit forms, adapted to our user: a legal name instead of first/last."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from wagtail.users.forms import UserCreationForm, UserEditForm

from .group_labels import group_label

if TYPE_CHECKING:
    from .models import User

PROFILE_FIELDS = {"legal_name", "phone", "preferred_language"}
SPLIT_NAME_FIELDS = ("first_name", "last_name")


class _ProfileFieldsMixin:
    fields: dict[str, forms.Field]  # from the form class it is mixed into

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SPLIT_NAME_FIELDS:
            self.fields.pop(name, None)
        self.fields["legal_name"].required = True
        if "groups" in self.fields:
            groups = self.fields["groups"]
            assert isinstance(groups, forms.ModelChoiceField)  # Wagtail's group checkboxes
            # The group checkboxes show translated labels; the stored names stay identifiers.
            # A per-instance override, which Django honours; mypy refuses assigning to a method.
            groups.label_from_instance = lambda obj: group_label(obj.name)  # type: ignore[method-assign]


class AdminUserCreationForm(_ProfileFieldsMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = (UserCreationForm.Meta.fields - set(SPLIT_NAME_FIELDS)) | PROFILE_FIELDS

    def save(self, commit: bool = True) -> User:
        """The admin chooses no password (WAGTAILUSERS_PASSWORD_ENABLED is off): the account
        gets an unusable one, so the person sets their own through allauth's reset link."""
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


class AdminUserEditForm(_ProfileFieldsMixin, UserEditForm):
    class Meta(UserEditForm.Meta):
        fields = (UserEditForm.Meta.fields - set(SPLIT_NAME_FIELDS)) | PROFILE_FIELDS
