"""The firm managers' attendance reports, mounted at /firm/attendance/."""

from django.urls import path

from . import firm_report_views as firm_views

app_name = "firm_attendance"

urlpatterns = [
    path("", firm_views.overview, name="overview"),
    path("attendance.csv", firm_views.export_csv, name="export_csv"),
    path("attendance.xlsx", firm_views.export_xlsx, name="export_xlsx"),
    path("sessions/<id:pk>/", firm_views.session_detail, name="session"),
    path("sessions/<id:pk>/attendance.csv", firm_views.session_csv, name="session_csv"),
    path("sessions/<id:pk>/attendance.xlsx", firm_views.session_xlsx, name="session_xlsx"),
]
