"""Who may use the staff pages: a firm manager, for their own firm only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

from lms.accounts.scoping import managed_firm

if TYPE_CHECKING:
    from lms.accounts.request_types import ManagerHttpRequest


def manager_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in first; then anyone who does not manage a firm today gets a 403. The view gets
    the manager's firm as ``request.firm`` and never takes a firm from the URL or the form, so
    no other firm can be reached. Responses are not cached (they carry personal data)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        firm = managed_firm(request.user)
        if firm is None:
            raise PermissionDenied
        # From here on the request is what the view's annotation (ManagerHttpRequest) says.
        manager_request = cast("ManagerHttpRequest", request)
        manager_request.firm = firm
        response = view(manager_request, *args, **kwargs)
        add_never_cache_headers(response)  # staff pages carry personal data
        return response

    return wrapper
