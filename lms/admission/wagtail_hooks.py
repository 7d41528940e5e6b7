"""Wagtail hooks for admission review (each screen's module holds its views; this registers)."""

from __future__ import annotations

from wagtail import hooks

from . import questionnaires
from .admin_views.applications import ApplicationViewSet
from .admin_views.questionnaires import QuestionnaireViewSet


@hooks.register("register_admin_viewset")
def register_applications():
    """准入审核: the applications listing (admission reviewers' landing page) and review."""
    return ApplicationViewSet()


@hooks.register("register_admin_viewset")
def register_questionnaires():
    """问卷: the versioned admission questionnaire."""
    return QuestionnaireViewSet()


hooks.register("register_log_actions", questionnaires.register_log_actions)
