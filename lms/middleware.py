"""Request-wide input hygiene: refuse what no view can use before any view sees it.

PostgreSQL cannot store or compare a text value containing NUL (``\\x00``): a NUL that reaches a
query (``/verify/a%00b/``, ``?q=a%00b``, a session cookie) is a ``DataError``, a 500. Rather
than guard each view, :class:`RejectMalformedInputMiddleware` answers 400 for a NUL anywhere in
the path, the query string, a header or a cookie, and for a path or query string whose
percent-encoding does not decode to valid UTF-8 (``%ED%A0%80`` is half a surrogate pair: Django
would quietly turn it into ``\\ufffd`` or leave it percent-encoded, so no view could act on it
sensibly).

Form fields are covered by Django's forms (every ``CharField`` refuses NUL) and JSON bodies by
:mod:`lms.json_input`; request bodies are not read here, so uploads still stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse

# The platform API's clients are programs: they get its usual JSON error shape, in English.
API_PREFIX = "/api/"

# Where Django logs the SuspiciousOperation raised below; API refusals are logged there too.
security_log = logging.getLogger("django.security.MalformedInput")


class MalformedInput(SuspiciousOperation):
    """The request's path, query string or headers cannot be valid input to any view.

    A :class:`SuspiciousOperation`: Django answers it with ``handler400`` (``400.html``) and
    logs it to ``django.security.MalformedInput``, like its own host and cookie checks.
    """


def malformed_reason(request: HttpRequest) -> str | None:
    """Why the request's path, query string or headers are unusable; None when they are fine."""
    # Django has already decoded the path, re-escaping the bytes that are not UTF-8 (so
    # ``%ED%A0%80`` is still there, as text): decoding the escapes again finds them.
    raw_path = unquote_to_bytes(request.path_info)
    if b"\x00" in raw_path:
        return "The address contains a NUL character."
    if not is_utf8(raw_path):
        return "The address is not valid UTF-8."
    query = request.META.get("QUERY_STRING", "")
    if query:
        # QUERY_STRING is latin-1 code points too; decode its escapes to the bytes they stand for.
        raw_query = unquote_to_bytes(query.encode("latin-1", "replace").replace(b"+", b" "))
        if b"\x00" in raw_query:
            return "The query string contains a NUL character."
        if not is_utf8(raw_query):
            return "The query string is not valid UTF-8."
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return "A request header contains a NUL character."
    # A cookie's quoted value may spell NUL as \000, which only parsing turns into the byte.
    if any("\x00" in name or "\x00" in value for name, value in request.COOKIES.items()):
        return "A cookie contains a NUL character."
    return None


def is_utf8(raw: bytes) -> bool:
    """Strict UTF-8: surrogate code points (``%ED%A0%80``) and overlong forms are refused."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RejectMalformedInputMiddleware:
    """400 for a NUL or invalid UTF-8 in the path or query string, a NUL in a header or cookie.

    Runs first (after SecurityMiddleware), so nothing — sessions, authentication, Wagtail's
    redirects — queries the database with the bad value.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = malformed_reason(request)
        if reason is None:
            return self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            security_log.warning(reason, extra={"status_code": 400, "request": request})
            return JsonResponse({"detail": reason}, status=400)
        raise MalformedInput(reason)
