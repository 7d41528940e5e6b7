"""Registration on the site, mounted at /events/."""

from django.urls import path

from . import views

app_name = "event_registration"

urlpatterns = [
    path("sessions/<id:pk>/register/", views.register, name="register"),
    path("registrations/<id:pk>/cancel/", views.cancel, name="cancel"),
    path("sessions/<id:pk>/ics/", views.session_ics, name="session_ics"),
]
