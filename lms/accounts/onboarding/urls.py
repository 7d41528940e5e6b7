"""The manager's staff pages under ``/firm/staff/``, and the invitee's invitation link.

Programme assignments (``/firm/staff/assignments/``) belong to certification
(``exams.certificates.urls``)."""

from django.urls import path

from . import import_views, views

app_name = "staff"

urlpatterns = [
    path("", views.staff, name="home"),
    path("invite/", views.invite, name="invite"),
    path("invitations/<id:pk>/resend/", views.resend_invitation, name="resend_invitation"),
    path("invitations/<id:pk>/cancel/", views.cancel_invitation, name="cancel_invitation"),
    # The link in the invitation email (not a manager page: the invitee follows it).
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("members/<id:pk>/end/", views.end_membership, name="end_membership"),
    path("import/", import_views.upload, name="import"),
    path("import/<str:import_id>/", import_views.preview, name="import_preview"),
    path("import/<str:import_id>/errors.csv", import_views.errors_csv, name="import_errors"),
]
