"""Learner actions on courses; the course and lesson pages themselves are served by Wagtail."""

from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("enrol/<id:course_id>/", views.enrol, name="enrol"),
    path("complete/<id:lesson_id>/", views.complete, name="complete"),
    path("my/", views.my_learning, name="my_learning"),
]
