"""Choosing a person in the admin: a modal chooser searched by name, email or phone.

Shared by the membership form here and the audit-finding form (``lms.compliance``), each
narrowing whom it lists and who may use it.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet

from lms.bad_input import CheckedChosenViewMixin

from ..models import User

USER_CHOOSER = "accounts_user_chooser"


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
