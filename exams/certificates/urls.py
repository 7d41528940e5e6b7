"""Certificate URLs: the holder's pages, public verification, the credential documents and the
firm manager's programme assignments (under ``/firm/staff/``, beside the other staff pages).

Verification and credential URLs are public (no login) and stable: they are printed in QR
codes and embedded in signed credentials, so they must never change.
"""

from django.urls import path

from . import assignment_views, credential_views, views

app_name = "certificates"

urlpatterns = [
    # The holder's own certificates (login required).
    path("certificates/", views.my_certificates, name="mine"),
    path("certificates/<id:pk>/pdf/", views.download_pdf, name="pdf"),
    path(
        "certificates/attendance/<id:pk>/pdf/",
        views.download_attendance_pdf,
        name="attendance_pdf",
    ),
    # Public verification: the page and the signed Open Badges 3.0 credential.
    path("verify/<str:code>.json", credential_views.credential, name="verify_json"),
    path("verify/<str:code>/", views.verify, name="verify"),
    # Issuer documents the credentials refer to.
    path("credentials/issuer.json", credential_views.issuer, name="issuer"),
    path("credentials/keys/<str:key_id>.json", credential_views.key, name="key"),
    path(
        "credentials/achievements/<slug:code>.json",
        credential_views.achievement,
        name="achievement",
    ),
    path(
        "credentials/status/<int:list_number>.json",
        credential_views.status_list,
        name="status_list",
    ),
    path(
        "credentials/status/suspension/<int:list_number>.json",
        credential_views.suspension_list,
        name="suspension_list",
    ),
    # The manager's programme assignments, among the staff pages (lms.accounts.onboarding).
    path("firm/staff/assignments/", assignment_views.assignment_list, name="assignments"),
    path("firm/staff/assignments/new/", assignment_views.assign, name="assign"),
    path(
        "firm/staff/assignments/<id:pk>/cancel/",
        assignment_views.cancel,
        name="cancel_assignment",
    ),
]
