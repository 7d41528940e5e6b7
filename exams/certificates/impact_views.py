"""The admin's 法规变更影响 (law change impact) pages: every change the statute loader recorded,
and for one change the old and new text side by side, what still cites the old version, the
update task of each lesson and question, the programmes and the certificates it reaches.

For users who can edit lessons or questions (trainers, reviewers, superusers); other admin
users get a 403. The pages only read: update tasks are opened when a change is loaded (or by
``regulation_impact``); a change recorded without them (the demo's, or one from before tasks
existed) offers a POST button, 打开更新任务, that opens them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page, WorkflowState
from wagtail.permission_policies.pages import PagePermissionPolicy

from content.models import RegulationChange

from .impact import Impact, Reason, impact_of, open_update_tasks
from .textdiff import char_diff

PER_PAGE = 20


def can_see_impact(user) -> bool:
    """Who edits lessons (page permission) or questions. Superusers pass both."""
    if not user.is_active:
        return False
    return user.has_perm("exams.change_question") or PagePermissionPolicy().user_has_permission(
        user, "change"
    )


class ImpactPermissionMixin(View):
    """403 for admin users who edit neither (Wagtail would redirect a raised PermissionDenied
    to the dashboard)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not can_see_impact(request.user):
            return permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)


class ChangeIndexView(ImpactPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every recorded change, newest first, with its counts."""

    template_name = "certificates/admin/impact_index.html"
    page_title = gettext_lazy("Law change impact")
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        changes = RegulationChange.objects.select_related("old", "new").order_by(
            "-detected_at", "-id"
        )
        page = Paginator(changes, PER_PAGE).get_page(self.request.GET.get("p"))
        context["page_obj"] = page
        context["impacts"] = [impact_of(change, tasks=False) for change in page]
        return context


class ChangeDetailView(ImpactPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One change: the texts side by side with a character diff, and everything it reaches.
    GET reads; POST opens the update tasks that are missing."""

    template_name = "certificates/admin/impact_change.html"
    header_icon = "doc-full"

    def _load(self, change_id: int) -> None:
        # After the permission check (ImpactPermissionMixin.dispatch): a 403 says nothing about
        # which changes exist.
        self.change = get_object_or_404(
            RegulationChange.objects.select_related("old", "new"), pk=change_id
        )

    def get(self, request, *args, **kwargs):
        self._load(kwargs["change_id"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._load(kwargs["change_id"])
        before = impact_of(self.change)
        missing = before.missing_tasks
        if missing:
            open_update_tasks(before)
            messages.success(request, _("Update tasks opened: %(count)s.") % {"count": missing})
        return redirect("regulation_impact:change", self.change.pk)

    def get_page_title(self):
        return str(self.change)

    def get_page_subtitle(self):
        return ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("regulation_impact:index"), "label": _("Law change impact")},
            {"url": "", "label": str(self.change)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        impact = impact_of(self.change)  # reads the tasks, opens none
        old_html, new_html = char_diff(self.change.old_text, self.change.new_text)
        context.update(
            change=self.change,
            impact=impact,
            old_html=old_html,
            new_html=new_html,
            lessons=_lesson_rows(impact),
            questions=[
                {
                    "question": question,
                    "edit_url": reverse("exams_questions:edit", args=[question.pk]),
                    "task": impact.task_for(question),
                }
                for question in impact.questions
            ],
            done=self.change.update_tasks.filter(done_at__isnull=False).select_related("done_by"),
            missing_tasks=impact.missing_tasks,
            programmes=[
                {
                    "programme": affected.programme,
                    "reasons": [REASON_LABELS[reason] for reason in affected.reasons],
                    "certificates": affected.certificates,
                }
                for affected in impact.programmes
            ],
        )
        return context


REASON_LABELS = {
    Reason.COURSE: gettext_lazy("a course cites it"),
    Reason.EXAM: gettext_lazy("an exam can draw an affected question"),
    Reason.CERTIFICATES: gettext_lazy("holds certificates on the old basis"),
}


def _lesson_rows(impact: Impact) -> list[dict]:
    """Each lesson with its edit link, task and whether an edit waits for review (one query)."""
    lesson_ids = [lesson.pk for lesson in impact.lessons]
    in_review = set()
    if lesson_ids:
        in_review = {
            int(pk)
            for pk in WorkflowState.objects.filter(
                base_content_type=ContentType.objects.get_for_model(Page),
                object_id__in=[str(pk) for pk in lesson_ids],
                status=WorkflowState.STATUS_IN_PROGRESS,
            ).values_list("object_id", flat=True)
        }
    return [
        {
            "lesson": lesson,
            "edit_url": reverse("wagtailadmin_pages:edit", args=[lesson.pk]),
            "task": impact.task_for(lesson),
            "in_review": lesson.pk in in_review,
            "compares": lesson.pk in impact.comparisons,
        }
        for lesson in impact.lessons
    ]


# --- Registration (exams/certificates/wagtail_hooks.py) --------------------------------------

urlpatterns = [
    path("", ChangeIndexView.as_view(), name="index"),
    path("<int:change_id>/", ChangeDetailView.as_view(), name="change"),
]


def admin_urls() -> list:
    """For the ``register_admin_urls`` hook: /admin/regulation-impact/."""
    return [
        path(
            "regulation-impact/",
            include((urlpatterns, "regulation_impact"), namespace="regulation_impact"),
        )
    ]


class ImpactMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_see_impact(request.user)


def menu_item() -> MenuItem:
    """For the ``register_admin_menu_item`` hook: 法规变更影响, next to the Library."""
    return ImpactMenuItem(
        gettext_lazy("Law change impact"),
        reverse("regulation_impact:index"),
        name="regulation-impact",
        icon_name="doc-full",
        order=310,
    )
