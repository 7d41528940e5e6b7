"""Public audit-log URLs (no login). Stable: copies of the checkpoint list point here."""

from django.urls import path

from . import public_views

app_name = "auditlog"

urlpatterns = [
    path("checkpoints.json", public_views.checkpoints_json, name="checkpoints_json"),
]
