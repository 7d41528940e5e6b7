"""What the platform-API screens share: the confirmation that acts on one row, the page that
shows a secret once, and the view set of rows that are never edited here."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.urls import path
from wagtail.admin.admin_url_finder import ModelAdminURLFinder

from lms.lib.admin_actions import ObjectActionView, ObjectActionViewSetMixin

SECRET_TEMPLATE = "compliance/api_admin/secret_shown_once.html"


def show_secret_once(request, *, title: str, secret: str, about: str, back_url: str, **extra):
    """The page that shows a secret, never cached: reloading it does not bring the secret back
    from a cache, and nothing else ever shows it."""
    response = TemplateResponse(
        request,
        SECRET_TEMPLATE,
        {"page_title": title, "secret": secret, "about": about, "back_url": back_url, **extra},
    )
    response["Cache-Control"] = "no-store"
    return response


class InspectOnlyViewSetMixin(ObjectActionViewSetMixin):
    """For rows that are never edited or deleted here (tokens, deliveries): the listing, the
    inspect view, the add view if ``add_enabled``, and the object actions. Links from the audit
    log go to the inspect view."""

    add_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "delete", "history", "usage", *(() if self.add_enabled else ("add",))):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        add = [path("new/", self.add_view, name="add")] if self.add_enabled else []
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            *add,
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
            *self.action_urlpatterns(),
        ]

    @property
    def url_finder_class(self) -> type[ModelAdminURLFinder]:
        return type(
            "InspectURLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )


class ConfirmView(ObjectActionView):
    """GET asks, POST does (``change`` on the view set's model), then back to the listing: the
    base of Revoke token, Rotate secret and Redeliver."""

    return_to = "index"
    submit_class = "button serious"
