"""Firm managers' event pages, mounted at /firm/events/."""

from django.urls import path

from . import firm_views

app_name = "firm_events"

urlpatterns = [
    path("", firm_views.index, name="index"),
    path("sessions/<id:pk>/", firm_views.session_detail, name="session"),
    path("registrations/<id:pk>/approve/", firm_views.approve, name="approve"),
    path("registrations/<id:pk>/decline/", firm_views.decline, name="decline"),
]
