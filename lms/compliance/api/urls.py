"""``/api/v1/``: the platform API, its OpenAPI 3 schema (``openapi.json``) and interactive docs
(``docs``). The docs page is Swagger UI served from the static files django-ninja ships (``ninja``
is in INSTALLED_APPS for that), with the online spec validator switched off: nothing is fetched
from a CDN or sent to a third party. It runs under the site's Content-Security-Policy (its
scripts are static files; its settings are a JSON data block), plus data: images."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.docs import Swagger

from .auth import MissingScope, TokenAuth, TokenRateThrottle
from .endpoints import REQUIRED_SCOPES, router

DESCRIPTION = """
What the collection platform reads about a firm's staff: their compliance ratings and
certificates. Authenticate with `Authorization: Bearer <key>`; a token sees only its own firm.
Names and phone numbers are masked unless the token has the `personal_data:read` scope (every
unmasked record is logged). Each token is rate limited; over the limit the API answers 429 with
`Retry-After`.
"""


class PlatformAPI(NinjaAPI):
    """NinjaAPI that publishes each operation's required scope in its security requirement
    (OpenAPI 3.1 allows scopes on any scheme; ninja leaves the list empty)."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                scope = REQUIRED_SCOPES.get(operation.get("operationId"))
                if scope:
                    operation["security"] = [{TokenAuth.__name__: [scope]}]
        return schema


api = PlatformAPI(
    title="Sunshine Academy platform API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    # The site's strict policy, but Swagger UI's icons are data: images (README: Security notes).
    docs_decorator=csp_override(settings.SECURE_CSP_API_DOCS),
    throttle=[TokenRateThrottle()],
)
api.add_router("", router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


@api.exception_handler(MissingScope)
def missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return api.create_response(
        request, {"detail": exc.message, "missing_scope": exc.scope}, status=403
    )


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/v1/: the API's JSON 404, not the site's HTML page (a client
    that reads ``detail`` from every error must not meet an HTML body)."""
    return api.create_response(request, {"detail": "Not Found"}, status=404)


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", unknown_path)]
