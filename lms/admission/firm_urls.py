"""A firm manager's view of the firm's admission, mounted at /firm/admission/."""

from django.urls import path

from . import firm_views

app_name = "admission_firm"

urlpatterns = [
    path("", firm_views.index, name="index"),
    path("link/", firm_views.fresh_link, name="link"),
]
