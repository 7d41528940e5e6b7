"""Security headers Django's own middleware does not choose for us.

Django's ``ContentSecurityPolicyMiddleware`` sends ``SECURE_CSP`` on every response unless a
view sets its own. The Wagtail admin is third-party code that still needs inline scripts and
styles, so everything under the admin's URL prefix gets ``SECURE_CSP_ADMIN`` instead; the rest
of the site keeps the strict policy, page previews included (framed by the admin, though).
``Permissions-Policy`` has no Django setting at all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.csp import CSP


@cache
def admin_prefix() -> str:
    """The Wagtail admin's URL prefix ("/admin/"), read from the URLconf once."""
    return reverse("wagtailadmin_home")


class SecurityHeadersMiddleware:
    """The admin's CSP and the site's ``Permissions-Policy``.

    Sits after ``ContentSecurityPolicyMiddleware`` in ``MIDDLEWARE`` so that it sees the response
    first and can choose the policy before that middleware writes the header. A view that chose
    its own policy (``django.views.decorators.csp.csp_override``) keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if getattr(request, "is_dummy", False):
            # Wagtail renders a page preview by sending a made-up request for the page through
            # the middleware: the site's policy, so editors see what visitors will, but framed
            # by the admin's preview panel.
            # _csp_config is the private attribute csp_override sets and the middleware reads;
            # the stubs do not declare it.
            response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}  # type: ignore[attr-defined]
        elif request.path.startswith(admin_prefix()) and not hasattr(response, "_csp_config"):
            response._csp_config = settings.SECURE_CSP_ADMIN  # type: ignore[attr-defined]
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
