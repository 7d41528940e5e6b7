"""Wagtail hooks for the admission review (each screen's module holds its views; this only
registers): one 准入审核 menu for applications, entering one, questionnaires and the ban list,
and the decision screens, which are reached from an application's review page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from lms.compliance.firm_flags import ADMISSION_FLAGS_HOOK

from . import questionnaires, reassessment
from .admin_views.applications import ApplicationViewSet
from .admin_views.questionnaires import QuestionnaireViewSet
from .admin_views.staff_apply import StaffApplyViewSet
from .ban_list import BanListViewSet
from .decision_views import DecisionViewSet


class AdmissionViewSetGroup(ViewSetGroup):
    """准入审核: the admission review's screens together in the admin menu."""

    menu_icon = "clipboard-list"
    menu_label = _("Admission review")
    menu_name = "admission-review"
    menu_order = 260
    items = (ApplicationViewSet, StaffApplyViewSet, QuestionnaireViewSet, BanListViewSet)


@hooks.register("register_admin_viewset")
def register_admission() -> AdmissionViewSetGroup:
    return AdmissionViewSetGroup()


@hooks.register("register_admin_viewset")
def register_decisions() -> DecisionViewSet:
    """Decide, confirm, decline, condition met (reached from the review page's panel)."""
    return DecisionViewSet()


hooks.register("register_log_actions", questionnaires.register_log_actions)
# condition_overdue among the firm's flags (dashboard, API, the managers' admission page).
hooks.register(ADMISSION_FLAGS_HOOK, reassessment.admission_flags)
