"""Root URL configuration."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponseBase
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from content import views as content_views
from lms.accounts import views as account_views
from lms.compliance import my_data
from lms.compliance.formula_views import rating_formula
from lms.health import healthz


def _to_allauth(url_name: str) -> Callable[..., HttpResponseBase]:
    """A view sending any request (GET or POST) to allauth's ``url_name``; nothing is read."""
    return RedirectView.as_view(pattern_name=url_name, query_string=True)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    # allauth is the only way in with a password: its rate limit, lockout and MFA step hold
    # nowhere else. Wagtail still declares its own login and password-reset forms; these
    # patterns come first and send their addresses to allauth's, keeping ?next=.
    path("admin/login/", _to_allauth("account_login"), name="wagtailadmin_login_redirect"),
    re_path(
        r"^admin/password_reset/",
        _to_allauth("account_reset_password"),
        name="wagtailadmin_password_reset_redirect",
    ),
    path("_util/login/", _to_allauth("account_login"), name="wagtailcore_login_redirect"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("learning/", include("courses.urls")),
    path("exam-attempts/", include("exams.urls")),
    path("api/v1/", include("lms.compliance.api.urls")),
    path("", include("exams.certificates.urls")),
    path("search/", content_views.search, name="search"),
    path("regulations/<id:pk>/", content_views.regulation_detail, name="regulation_detail"),
    path("events/", include("content.attendance.checkin_urls")),
    path("firm/staff/", include("lms.accounts.onboarding.urls")),
    path("", include("lms.compliance.appeal_urls")),  # my-findings/, firm/findings/
    path("firm/admission/", include("lms.admission.firm_urls")),
    path("firm/events/", include("content.attendance.firm_urls")),
    path("events/", include("content.attendance.urls")),
    path("firm/attendance/", include("content.attendance.firm_report_urls")),
    path("firm/", include("lms.compliance.dashboard.urls")),
    path("firms/apply/", include("lms.admission.urls")),
    path("my-data/", my_data.download, name="my_data"),
    path("ratings/formula/", rating_formula, name="rating_formula"),
    path("audit/", include("lms.auditlog.urls")),  # the public list of signed checkpoints
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
