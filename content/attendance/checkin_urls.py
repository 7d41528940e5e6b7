"""Attendees' check-in (namespace ``event_checkin``), included under ``events/``."""

from django.urls import path

from . import checkin_views

app_name = "event_checkin"

urlpatterns = [
    # The QR code's target: a signed token (see content.attendance.checkin).
    path("check-in/<str:token>/", checkin_views.scan, name="scan"),
    path("sessions/<id:pk>/check-in/", checkin_views.code, name="code"),
]
