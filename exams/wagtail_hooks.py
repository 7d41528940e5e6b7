"""Wagtail hooks for exams."""

from __future__ import annotations

from django.contrib import messages
from wagtail import hooks

from . import report_views
from .drawing import shortfalls
from .import_hooks import import_menu_item, import_urls
from .models import ExamIndexPage, ExamPage
from .views import with_exam_context
from .viewsets import QuestionBankViewSetGroup


@hooks.register("on_serve_page")
def serve_exam_pages_with_attempts(next_serve_page):
    """Exam pages show the visitor's own attempts and what they may do next (exams.views).

    The wrapper adds context to the response the rest of the chain produced, so Wagtail's view
    restrictions still apply. Previews do not pass here; the templates say so.
    """

    def serve(page, request, args, kwargs):
        response = next_serve_page(page, request, args, kwargs)
        if isinstance(page, ExamPage | ExamIndexPage):
            return with_exam_context(page, request, response)
        return response

    return serve


@hooks.register("before_edit_page")
def warn_of_rules_new_papers_cannot_fill(request, page):
    """Opening an exam in the editor warns when a rule asks for more questions than its bank
    can give new papers now (e.g. after questions were withdrawn for a superseded article)."""
    if request.method == "GET" and isinstance(page.specific_deferred, ExamPage):
        for message in shortfalls(page.specific_deferred):
            messages.warning(request, message)


@hooks.register("register_admin_viewset")
def register_question_banks():
    """题库: banks, categories and questions (exams.viewsets)."""
    return QuestionBankViewSetGroup()


@hooks.register("register_admin_urls")
def register_exam_report_urls():
    return report_views.admin_urls()


@hooks.register("register_reports_menu_item")
def register_exam_reports_menu_item():
    return report_views.reports_menu_item()


# 导入题目: the upload screen with a preview (exams.import_views).
hooks.register("register_admin_urls", import_urls)
hooks.register("register_admin_menu_item", import_menu_item)
