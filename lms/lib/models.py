"""Abstract model mixins shared by several apps (abstract only: this package is not an app and
owns no tables).

Why: an audit finding and its appeal both record who decided them, when, and with what note,
in the same three columns with the same labels; the mixin keeps those columns (and the one
way to fill them in) identical wherever a decision is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DecisionMixin(models.Model):
    """Who decided, when, and the note they gave; empty until a decision is recorded."""

    DECISION_FIELDS = ("decided_by", "decided_at", "decision_note")

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        abstract = True

    def record_decision(self, *, by: Any, note: str, at: datetime | None = None) -> list[str]:
        """Fill in the decision (not saved); returns the fields to pass to
        ``save(update_fields=...)``."""
        self.decided_by = by
        self.decided_at = at or timezone.now()
        self.decision_note = note
        return list(self.DECISION_FIELDS)
