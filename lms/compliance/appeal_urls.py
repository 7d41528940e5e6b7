"""Front-end audit findings: a collector's own, and a manager's firm's (``appeal_views``)."""

from django.urls import path

from . import appeal_views

app_name = "findings"

urlpatterns = [
    path("my-findings/", appeal_views.my_findings, name="mine"),
    path("my-findings/<id:pk>/appeal/", appeal_views.appeal_mine, name="appeal_mine"),
    path("firm/findings/", appeal_views.firm_findings, name="firm"),
    path("firm/findings/<id:pk>/appeal/", appeal_views.appeal_for_collector, name="appeal_firm"),
]
