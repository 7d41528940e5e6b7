"""Admin screens for content snippets, and the reviewers' dashboard panel."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from lms.bad_input import (
    CheckedChosenMultipleViewMixin,
    CheckedChosenViewMixin,
    CreationFormRequiredMixin,
)

from .documents import redirect_to_signed_url
from .models import Regulation
from .review_panel import use_review_queue_panel


class RegulationChosenView(CheckedChosenViewMixin, snippet_chooser.SnippetChosenView):
    pass


class RegulationChosenMultipleView(
    CheckedChosenMultipleViewMixin, snippet_chooser.SnippetChosenMultipleView
):
    pass


class RegulationChooserCreateView(CreationFormRequiredMixin, snippet_chooser.SnippetCreateView):
    pass


class RegulationChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    """The regulation chooser (for links to a statute's article): a pk or ``?id=`` that cannot
    be an id is a 404 or 400, and its "create" URL, which Wagtail registers though the modal has
    no create tab (regulations are loaded by ``load_regulations``), is a 404."""

    chosen_view_class = RegulationChosenView
    chosen_multiple_view_class = RegulationChosenMultipleView
    create_view_class = RegulationChooserCreateView


class RegulationViewSet(SnippetViewSet):
    model = Regulation
    icon = "doc-full"
    menu_label = _("Regulations")
    list_display = ["short_name", "article_label", "topic", "edition_label", "superseded_by"]
    list_filter = ["topic", "short_name"]
    list_per_page = 50
    # Chinese has no spaces between words: a plain substring match serves editors best here.
    search_fields = ["statute", "short_name", "article_label", "article_no", "crime_name", "text"]
    search_backend_name = None
    ordering = ["short_name", "effective_date", "id"]
    # Trainers and reviewers may only view: the text is statute, loaded by load_regulations.
    inspect_view_enabled = True
    chooser_viewset_class = RegulationChooserViewSet


class LibraryViewSetGroup(SnippetViewSetGroup):
    items = (RegulationViewSet,)
    menu_icon = "folder-open-inverse"
    menu_label = _("Library")
    menu_name = "library"


register_snippet(LibraryViewSetGroup)


@hooks.register("construct_homepage_panels")
def _review_queue_with_approve(request: HttpRequest, panels: list) -> None:
    use_review_queue_panel(request, panels)


# Attendance (签到考勤): the trainers' sessions, check-in screen and marking (content.attendance).
from wagtail.permissions import register_permission_policy  # noqa: E402

from .attendance import admin_views as attendance_admin  # noqa: E402
from .models import EventSession  # noqa: E402

register_permission_policy(EventSession, attendance_admin.AttendancePermissionPolicy(EventSession))
hooks.register("register_admin_viewset", attendance_admin.AttendanceViewSet)
# After Wagtail's own check_view_restrictions (order 0): only documents it let through.
hooks.register("before_serve_document", redirect_to_signed_url, order=100)
