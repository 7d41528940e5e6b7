"""Wagtail's user create/edit forms, adapted to our user: a legal name instead of first/last."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wagtail.users.forms import UserCreationForm, UserEditForm

from .group_labels import group_label

if TYPE_CHECKING:
    from .models import User

PROFILE_FIELDS = {"legal_name", "phone", "preferred_language"}
SPLIT_NAME_FIELDS = ("first_name", "last_name")


class _ProfileFieldsMixin:
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in SPLIT_NAME_FIELDS:
            self.fields.pop(name, None)
        self.fields["legal_name"].required = True
        if "groups" in self.fields:
            # The group checkboxes show translated labels; the stored names stay identifiers.
            self.fields["groups"].label_from_instance = lambda group: group_label(group.name)


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
