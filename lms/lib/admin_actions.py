"""One Wagtail-admin view for "a form, often with a reason, acting on one object".

Why: revoking a certificate, deciding a finding or its appeal, changing a firm's status,
revoking an API token, rotating a webhook secret and redelivering a webhook were four
near-copies of the same view, template and buttons. They differ only in configuration and in
what the action does, so each is now a thin subclass of :class:`ObjectActionView` (the action
is its :meth:`~ObjectActionView.perform`), rendered by the one template
``lms/admin/object_action.html``, reached through an :class:`ObjectAction` button and routed
by :class:`ObjectActionViewSetMixin`.

The view, in order: looks the object up (404), checks the model permission (403, or Wagtail's
redirect to the dashboard), shows the object and the form (GET), and on a valid POST calls
``perform``. An error the action refuses with (``refusals``, ``ValidationError`` by default)
is shown on the form and nothing changes; otherwise it writes the Wagtail log entry
(``log_action``, if any), adds the success message and redirects.

No app is imported here: the subclasses live with their apps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # public in Django, left out of django-stubs
from django.views.defaults import permission_denied
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import Button, ListingButton
from wagtail.log_actions import log

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TEMPLATE = "lms/admin/object_action.html"


# --- Buttons -----------------------------------------------------------------------------------


def _anyone(user: Any, obj: Model) -> bool:
    return True


@dataclass(frozen=True)
class ObjectAction:
    """A button leading to an action view of one object, for the users ``permitted`` allows.

    ``url_name`` is the action's route (``"<viewset name>:<action>"``), reversed with the
    object's primary key.
    """

    label: StrOrPromise
    url_name: str
    icon_name: str = "warning"
    priority: int = 40
    # Takes the user and the object; each action's function names its own model.
    permitted: Callable[[Any, Any], bool] = _anyone

    def url(self, obj: Model) -> str:
        return reverse(self.url_name, args=[quote(obj.pk)])

    def buttons(self, user: Any, obj: Model, button_class: type[Button] = Button) -> list[Button]:
        if not self.permitted(user, obj):
            return []
        return [
            button_class(
                self.label, url=self.url(obj), icon_name=self.icon_name, priority=self.priority
            )
        ]


def action_buttons(
    user: Any, obj: Model, actions: Sequence[ObjectAction], button_class: type[Button] = Button
) -> list[Button]:
    """The buttons of ``actions`` this user may use on ``obj``."""
    return [button for action in actions for button in action.buttons(user, obj, button_class)]


class ListingActionsMixin:
    """For a generic ``IndexView``: each row's "More" menu ends with ``object_actions``."""

    object_actions: ClassVar[Sequence[ObjectAction]] = ()
    request: HttpRequest

    def get_list_more_buttons(self, instance: Model) -> list[Button]:
        return [
            *super().get_list_more_buttons(instance),  # type: ignore[misc]
            *action_buttons(self.request.user, instance, self.object_actions, ListingButton),
        ]


class HeaderActionsMixin:
    """For a generic ``InspectView`` or ``EditView``: the header's "More" menu ends with
    ``object_actions``."""

    object_actions: ClassVar[Sequence[ObjectAction]] = ()
    request: HttpRequest
    object: Model

    @cached_property
    def header_more_buttons(self) -> list[Button]:
        return [
            *super().header_more_buttons,  # type: ignore[misc]
            *action_buttons(self.request.user, self.object, self.object_actions),
        ]


# --- The view ----------------------------------------------------------------------------------


def display_date(value: date | datetime | None) -> str:
    """A date (or a datetime's local date) as the ``date:"DATE_FORMAT"`` template filter shows
    it, for :meth:`ObjectActionView.get_details`."""
    return date_filter(template_localtime(value), "DATE_FORMAT") if value else ""


def display_text(value: str) -> str:
    """Several lines of text as ``linebreaksbr`` shows them (escaped, so safe to show)."""
    return linebreaksbr(value, autoescape=True)


@dataclass(frozen=True)
class Notice:
    """A help block above the form: ``level`` is Wagtail's (info, warning, critical)."""

    text: StrOrPromise
    level: str = "info"

    @property
    def icon(self) -> str:
        return "help" if self.level == "info" else "warning"


class ObjectActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Acts on one object of ``model`` after asking (see the module docstring).

    Subclasses set ``page_title``, ``submit_label`` and usually ``form_class`` (none: a plain
    confirmation, GET asks and POST does), and define :meth:`perform`. The view set passes the
    model and the URL names (:class:`ObjectActionViewSetMixin`).
    """

    model: type[Model] | None = None  # the view set's, unless the subclass names one
    permission_required = "change"
    form_class: type[forms.Form] | None = None
    template_name = TEMPLATE
    header_icon = "warning"
    # Wagtail answers a missing permission with a redirect to the dashboard; a view that should
    # say "you may not" where the user is (a link followed from elsewhere) answers 403 instead.
    deny_with_403 = False
    # Where "Cancel", "Back" and (by default) success lead: "index", "inspect" or "edit".
    return_to = "inspect"
    # The listing's label in the breadcrumbs; None keeps Wagtail's plain breadcrumbs.
    index_label: StrOrPromise | None = None
    submit_label: StrOrPromise = ""
    submit_class = "button"
    question: StrOrPromise = ""
    warning: StrOrPromise = ""
    success_message: StrOrPromise = ""
    log_action: str | None = None
    refusals: tuple[type[Exception], ...] = (ValidationError,)
    after_template: str | None = None
    index_url_name: str | None = None
    inspect_url_name: str | None = None
    edit_url_name: str | None = None

    object: Model

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])

    def get_queryset(self) -> QuerySet:
        assert self.model is not None  # the view set passes its model (or the subclass names one)
        return self.model._default_manager.all()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.deny_with_403 and not self.user_has_permission(self.permission_required):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    # The page

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_return_url(self) -> str:
        if self.return_to == "index":
            return reverse(self.index_url_name)
        url_name = self.inspect_url_name if self.return_to == "inspect" else self.edit_url_name
        return reverse(url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self) -> list[dict]:
        if self.index_label is None:
            return super().get_breadcrumbs_items()
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": self.index_label},
            {"url": self.get_return_url(), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_details(self) -> list[tuple[str, Any]]:
        """(label, value) pairs describing the object above the form."""
        return []

    def get_notices(self) -> list[Notice]:
        """Help blocks shown above the form (only while the action is available)."""
        return [Notice(self.warning, level="warning")] if self.warning else []

    def is_actionable(self) -> bool:
        """False: the page says why (:meth:`get_refusal`) instead of showing the form."""
        return True

    def get_refusal(self) -> str:
        return ""

    def get_form_class(self) -> type[forms.Form]:
        return self.form_class or forms.Form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        actionable = self.is_actionable()
        context.update(
            object=self.object,
            details=self.get_details(),
            question=self.question,
            notices=self.get_notices() if actionable else [],
            actionable=actionable,
            refusal="" if actionable else self.get_refusal(),
            submit_label=self.submit_label,
            submit_class=self.submit_class,
            cancel_url=self.get_return_url(),
            after_template=self.after_template,
        )
        return context

    # The action

    def perform(self, obj: Model, form: forms.Form) -> Any:
        """Do it. Return what it produced (handed to :meth:`get_success_message` and
        :meth:`get_success_url`), or an HttpResponse to answer with as it is (then no log entry
        or message is added). Raise one of ``refusals`` to show the form again with the error."""
        raise NotImplementedError

    def get_success_message(self, result: Any) -> StrOrPromise:
        return self.success_message

    def get_success_url(self, result: Any = None) -> str:
        return self.get_return_url()

    def write_log(self, obj: Model) -> None:
        if self.log_action:
            log(obj, self.log_action, user=self.request.user)

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            result = self.perform(self.object, form)
        except self.refusals as error:
            form.add_error(None, error if isinstance(error, ValidationError) else str(error))
            return self.form_invalid(form)
        if isinstance(result, HttpResponseBase):
            # Any response goes back as it is; django-stubs narrow form_valid to HttpResponse.
            return result  # type: ignore[return-value]
        self.write_log(self.object)
        message = self.get_success_message(result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url(result))


class ObjectActionViewSetMixin:
    """For a ``ModelViewSet``: routes ``action_views``, each ``(name, view class)`` at
    ``<name with - for _>/<pk>/`` (or a route given as a third item), as ``<viewset>:<name>``.

    A view set that builds its URL patterns from scratch adds :meth:`action_urlpatterns`.
    """

    action_views: ClassVar[Sequence[tuple]] = ()

    # Wagtail's ViewSet's, which the view set using this mixin inherits (annotations only).
    get_url_name: Callable[[str], str]
    construct_view: Callable[..., Callable]

    def action_view(self, view_class: type[ObjectActionView]) -> Callable:
        # The model and the index, inspect and edit URL names come with the common view kwargs;
        # the edit view's name even where a view set leaves it out of the other views.
        edit_url_name = self.get_url_name("edit")
        return self.construct_view(view_class, edit_url_name=edit_url_name)

    def action_urlpatterns(self) -> list:
        patterns = []
        for name, view_class, *route in self.action_views:
            prefix = route[0] if route else name.replace("_", "-")
            patterns.append(path(f"{prefix}/<id:pk>/", self.action_view(view_class), name=name))
        return patterns

    def get_urlpatterns(self) -> list:
        return super().get_urlpatterns() + self.action_urlpatterns()  # type: ignore[misc]
