"""``{% decision_panel_state application as panel %}``: what the decision panel shows the
current user (``admission/admin/_decision_panel.html``), so the panel works wherever it is
included with an ``application`` in the context."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from ..access import conflict_of_interest, is_reviewer
from ..decisions import DECIDABLE
from ..models import Application, Decision, DecisionState

register = template.Library()


@dataclass
class DecisionRow:
    decision: Decision
    conditions: list
    can_confirm: bool = False


@dataclass
class PanelState:
    application: Application
    rows: list[DecisionRow] = field(default_factory=list)
    reviewer: bool = False
    conflict: str | None = None
    can_decide: bool = False
    can_mark_met: bool = False


@register.simple_tag(takes_context=True)
def decision_panel_state(context, application: Application) -> PanelState:
    """The decisions on ``application`` (newest first, with their conditions and people) and
    what the user may do: decide, confirm or decline a proposal, mark a condition met."""
    request = context.get("request")
    user = getattr(request, "user", None)
    reviewer = is_reviewer(user)
    conflict = conflict_of_interest(user, application) if reviewer else None
    state = PanelState(application, reviewer=reviewer, conflict=conflict)
    able = user is not None and reviewer and conflict is None
    decisions = application.decisions.select_related(
        "proposed_by", "confirmed_by"
    ).prefetch_related("conditions__met_by")
    for decision in decisions:
        state.rows.append(
            DecisionRow(
                decision,
                list(decision.conditions.all()),
                can_confirm=able
                and decision.state == DecisionState.PROPOSED
                and decision.proposed_by_id != getattr(user, "pk", None),
            )
        )
    state.can_decide = able and application.status in DECIDABLE
    state.can_mark_met = able
    return state
