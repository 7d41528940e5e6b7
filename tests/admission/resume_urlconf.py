"""The site's URLs plus the applicant's resume route (``admission:resume``), for test runs on a
tree where the public application pages (``lms.admission.urls``) are not present.

``links.issue_link`` reverses that route; the re-assessment tests only check the link it
makes, never open it. The ``resume_route`` fixture (reassess_factories) uses this urlconf only
while ``lms.admission.urls`` does not exist: once the application pages are in the tree, the
real route is used instead.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from lms.urls import urlpatterns as site_patterns


def resume(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=404)


resume_patterns = ([path("resume/<str:token>/", resume, name="resume")], "admission")

urlpatterns = [path("firms/apply/", include(resume_patterns)), *site_patterns]
