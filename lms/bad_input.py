"""Ids and form fields that cannot be valid answer a 4xx before a view or the database sees them.

The URL walk (``tests/lms/test_bad_input.py``) found three kinds of 500 that the request-wide
checks in :mod:`lms.middleware` cannot catch, because only the view knows what it expects:

- **Ids beyond bigint.** ``<int:...>`` matches any run of digits; PostgreSQL finds no row for
  ``99999999999999999999``, but SQLite's driver raises ``OverflowError`` before querying (and
  Django's own out-of-range guard covers plain ``pk=`` lookups, not every filter a view builds).
  :class:`BoundedIdConverter` (``<id:...>``, used by our URL patterns that take an id) does not
  match such a number, so the address is a plain 404.
- **A chooser given a pk that cannot be one.** Wagtail's generic ``chosen/<str:pk>/`` view runs
  ``objects.get(pk=...)`` with any string (``ValueError``), its ``chosen-multiple/?id=`` a
  ``pk__in`` with any list. Our own chooser viewsets use :class:`CheckedChosenViewMixin` and
  :class:`CheckedChosenMultipleViewMixin`; Wagtail's image, document and page choosers, which
  no setting lets us subclass, are checked by :class:`WagtailInputMiddleware`.
- **Wagtail admin views that assume their form's fields are there** (the external-link chooser,
  the redirects import, the workflow editor's page number). :class:`WagtailInputMiddleware`
  checks exactly these views, by URL name, before they run.

Nothing here catches exceptions in general: each check names the view and the input it guards,
so a new bug elsewhere still shows as the 500 it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import InvalidPage
from django.db import connections, models, router
from django.db.models.fields.related import RelatedField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase

# A check of one view's input, given the request and the view's URL kwargs: raises Http404 or
# BadRequest, or returns None to let the view run.
Check = Callable[[HttpRequest, dict], None]

# PostgreSQL's bigint (and SQLite's INTEGER): no id of ours can be larger.
BIGINT_MAX = 2**63 - 1


class BoundedIdConverter:
    """``<id:name>``: a positive integer that fits in a bigint, else the URL does not match (404).

    Django refuses to re-register its own ``int`` converter, hence a new name; registered in
    :meth:`lms.accounts.apps.AccountsConfig.ready`, before any URLconf is imported.
    """

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= BIGINT_MAX:
            raise ValueError(f"{value} is not an id")
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


def parse_id(raw: str) -> int | None:
    """``raw`` as an id (ASCII digits, 1 to bigint's maximum), or None.

    ``int()`` alone would take ``"-1"``, ``" 1"`` and fullwidth digits (``"１"``).
    """
    if not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if 0 < number <= BIGINT_MAX else None


def is_valid_pk(model: type[models.Model], raw: str) -> bool:
    """Whether ``raw`` could be a primary key of ``model``: for an integer pk, an id in the
    range the database stores; otherwise what the pk field's own ``to_python`` and validators
    accept (a UUID, a bounded string)."""
    field = model._meta.pk
    # A one-to-one pk (multi-table inheritance) holds its parent's pk.
    while isinstance(field, RelatedField):
        field = field.target_field
    if isinstance(field, models.IntegerField):  # AutoField and BigAutoField too
        number = parse_id(raw)
        return number is not None and fits_column(field, number)
    try:
        field.run_validators(field.to_python(raw))
    except ValidationError:
        return False
    return True


def fits_column(field: models.Field, value: int) -> bool:
    """Whether ``value`` fits the integer column ``field`` (the database's range for its type).

    A value beyond it matches no row; on SQLite it cannot even be sent (the driver raises
    ``OverflowError`` for one beyond 64 bits), so a lookup should leave it out.
    """
    connection = connections[router.db_for_read(field.model)]
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return (low is None or value >= low) and (high is None or value <= high)


def check_pks(model: type[models.Model], raws: list[str]) -> None:
    """Raise :class:`BadRequest` (400) unless every one of ``raws`` could be a pk of ``model``."""
    if not all(is_valid_pk(model, raw) for raw in raws):
        raise BadRequest("An id in the address cannot be one.")


class CheckedChosenViewMixin:
    """For a Wagtail ``ChosenView``: a pk that cannot be one is a 404, like a pk with no row."""

    model_class: type[models.Model]

    def get(self, request: HttpRequest, pk: str) -> HttpResponseBase:
        if not is_valid_pk(self.model_class, unquote(str(pk))):
            raise Http404
        return super().get(request, pk)  # type: ignore[misc]


class CheckedChosenMultipleViewMixin:
    """For a Wagtail ``ChosenMultipleView``: an ``?id=`` that cannot be an id is a 400."""

    model_class: type[models.Model]

    def get(self, request: HttpRequest) -> HttpResponseBase:
        check_pks(self.model_class, request.GET.getlist("id"))
        return super().get(request)  # type: ignore[misc]


class CreationFormRequiredMixin:
    """For a Wagtail chooser ``CreateView``: without a creation form (a chooser whose modal has
    no "create" tab, such as a snippet's without ``form_fields``) there is nothing to create, so
    the URL Wagtail registers anyway is a 404 rather than a crash on ``None.is_valid()``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.get_creation_form_class() is None:  # type: ignore[attr-defined]
            raise Http404
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


# --- Wagtail's own views, by URL name ----------------------------------------------------------


def _image_model() -> type[models.Model]:
    from wagtail.images import get_image_model

    return get_image_model()


def _document_model() -> type[models.Model]:
    from wagtail.documents import get_document_model

    return get_document_model()


def _page_model() -> type[models.Model]:
    from wagtail.models import Page

    return Page


def _chosen(model: Callable[[], type[models.Model]]) -> Check:
    def check(request: HttpRequest, kwargs: dict) -> None:
        if not is_valid_pk(model(), unquote(str(kwargs.get("pk", "")))):
            raise Http404

    return check


def _chosen_multiple(model: Callable[[], type[models.Model]]) -> Check:
    def check(request: HttpRequest, kwargs: dict) -> None:
        check_pks(model(), request.GET.getlist("id"))

    return check


def _posted(*fields: str) -> Check:
    """A POST must carry ``fields`` (their values are the form's to judge): the view reads them
    unchecked (the redirects import's management form indexes ``cleaned_data`` by them; the
    external-link form's URL field calls ``.startswith`` on a missing value)."""

    def check(request: HttpRequest, kwargs: dict) -> None:
        missing = [name for name in fields if request.POST.get(name) is None]
        if request.method == "POST" and missing:
            raise BadRequest(f"The form is missing {', '.join(missing)}.")

    return check


def _page_number(request: HttpRequest, kwargs: dict) -> None:
    """The workflow editor's ``?p=`` (its list of pages) is ``int()``-ed unchecked."""
    if "p" in request.GET and parse_id(request.GET["p"]) is None:
        raise Http404


WAGTAIL_CHECKS: Mapping[str, Check] = {
    "wagtailimages_chooser:chosen": _chosen(_image_model),
    "wagtailimages_chooser:chosen_multiple": _chosen_multiple(_image_model),
    "wagtaildocs_chooser:chosen": _chosen(_document_model),
    "wagtaildocs_chooser:chosen_multiple": _chosen_multiple(_document_model),
    "wagtailadmin_choose_page_chosen_multiple": _chosen_multiple(_page_model),
    "wagtailadmin_choose_page_external_link": _posted("external-link-chooser-url"),
    "wagtailredirects:process_import": _posted("import_file_name", "input_format"),
    "wagtailadmin_workflows:edit": _page_number,
}

# Views whose bad input only the view itself can recognise, and the exceptions that then mean
# "no such thing". The workflow editor's last page depends on how many pages the workflow has:
# a well-formed ``?p=`` beyond it is only found when the view paginates (``EmptyPage``).
WAGTAIL_NOT_FOUND_ERRORS: Mapping[str, tuple[type[Exception], ...]] = {
    "wagtailadmin_workflows:edit": (InvalidPage,),
}


class WagtailInputMiddleware:
    """Checks the input of the Wagtail admin views in :data:`WAGTAIL_CHECKS` before they run (a
    400 or 404), and turns the exceptions in :data:`WAGTAIL_NOT_FOUND_ERRORS` into a 404 for
    those views only. Every other view is untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> None:
        assert request.resolver_match is not None  # set before process_view runs
        check = WAGTAIL_CHECKS.get(request.resolver_match.view_name)
        if check is not None:
            check(request, view_kwargs)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        match = request.resolver_match
        errors = WAGTAIL_NOT_FOUND_ERRORS.get(match.view_name, ()) if match else ()
        if isinstance(exception, errors):
            raise Http404 from exception
