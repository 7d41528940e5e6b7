"""The public application pages (/firms/apply/); the token is the applicant's secret link."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "admission"

urlpatterns = [
    path("", views.start, name="start"),
    path("scoring/", views.scoring_method, name="scoring"),
    path("link/", views.resend_link, name="resend_link"),
    path("r/<str:token>/", views.resume, name="resume"),
    path("r/<str:token>/licences/<id:pk>/", views.licence_file, name="licence"),
    path("r/<str:token>/evidence/<id:pk>/", views.evidence_file, name="evidence"),
]
