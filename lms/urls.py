"""Root URL configuration."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from content import views as content_views
from lms.accounts import views as account_views
from lms.compliance import my_data
from lms.compliance.formula_views import rating_formula
from lms.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    # Wagtail's own login form would skip allauth's MFA step, so the admin signs in through allauth.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="wagtailadmin_login_redirect",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("learning/", include("courses.urls")),
    path("exam-attempts/", include("exams.urls")),
    path("api/v1/", include("lms.compliance.api.urls")),
    path("", include("exams.certificates.urls")),
    path("search/", content_views.search, name="search"),
    path("regulations/<int:pk>/", content_views.regulation_detail, name="regulation_detail"),
    path("firm/staff/", include("lms.accounts.onboarding.urls")),
    path("", include("lms.compliance.appeal_urls")),  # my-findings/, firm/findings/
    path("firm/", include("lms.compliance.dashboard.urls")),
    path("my-data/", my_data.download, name="my_data"),
    path("ratings/formula/", rating_formula, name="rating_formula"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
