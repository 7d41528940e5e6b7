"""Taking exams; the exam pages themselves are served by Wagtail (mounted at exam-attempts/)."""

from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("start/<id:exam_id>/", views.start, name="start"),
    path("<id:attempt_id>/", views.attempt_page, name="attempt"),
    path("<id:attempt_id>/save/", views.save, name="save"),
    path("<id:attempt_id>/submit/", views.submit, name="submit"),
    path("<id:attempt_id>/review/", views.review, name="review"),
    path("my/", views.history, name="history"),
]
