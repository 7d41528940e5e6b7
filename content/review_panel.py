"""The reviewers' dashboard panel, with a visible one-step "Approve" on every pending page.

Wagtail's own "Awaiting your review" panel hides Approve in a "…" menu next to Edit and
Preview, so a reviewer landing on the dashboard had to discover it. This panel lists the same
task states (Wagtail builds the context, so who may review what is Wagtail's rule) and adds an
Approve button that posts to Wagtail's workflow action view: the task's own ``on_action`` runs,
with its permission checks, its audit log and its notifications, exactly as from the menu.
"""

from __future__ import annotations

from django.http import HttpRequest
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel


class ReviewQueuePanel(WorkflowObjectsToModeratePanel):
    template_name = "content/admin/awaiting_review.html"

    def get_context_data(self, parent_context: dict) -> dict:
        context = super().get_context_data(parent_context)
        for state in context["states"]:
            # The approve action, when the task offers it to this user without a form to fill.
            state["quick_approve"] = any(
                name == "approve" and not modal for name, _label, modal in state["actions"]
            )
        context["next_url"] = parent_context["request"].get_full_path()
        return context


def use_review_queue_panel(request: HttpRequest, panels: list) -> None:
    """``construct_homepage_panels`` hook: swap Wagtail's review panel for ours."""
    for index, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[index] = ReviewQueuePanel()
