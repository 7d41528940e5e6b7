"""The site's URLs plus a trivial view: the baseline the benchmark compares autosave with.

The trivial view sits in front of Wagtail's catch-all and goes through the same middleware
(session, CSRF, authentication, language, MFA check) as every other view.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from lms.urls import urlpatterns as site_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *site_urlpatterns]
