"""Wagtail hooks for exams."""

from __future__ import annotations

from wagtail import hooks

from .viewsets import QuestionBankViewSetGroup


@hooks.register("register_admin_viewset")
def register_question_banks():
    """题库: banks, categories and questions (exams.viewsets)."""
    return QuestionBankViewSetGroup()
