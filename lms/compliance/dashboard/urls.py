"""The firm managers' dashboard, mounted at /firm/."""

from django.urls import path

from . import audit_log, views

app_name = "dashboard"

urlpatterns = [
    path("", views.roster, name="roster"),
    path("roster.csv", views.export_csv, name="export_csv"),
    path("roster.xlsx", views.export_xlsx, name="export_xlsx"),
    path("collectors/<id:user_id>/", views.collector, name="collector"),
    path("audit-log/", audit_log.audit_log, name="audit_log"),
    path("audit-log/<id:firm_id>/bundle.zip", audit_log.audit_log_bundle, name="audit_log_bundle"),
]
