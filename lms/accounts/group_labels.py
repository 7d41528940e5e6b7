"""What people read for a group's name: the stored names are identifiers, in English.

Code looks groups up by name (``roles.Role``), so the rows keep their English names and the
admin shows a translated label instead (the group listing, the user forms' group checkboxes).
Wagtail's own default groups are labelled too. A group someone adds in the admin shows as named.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .roles import Role

GROUP_LABELS = {
    Role.COLLECTOR.value: _("Collectors"),
    Role.FIRM_MANAGER.value: _("Firm managers"),
    Role.TRAINER.value: _("Trainers"),
    Role.REVIEWER.value: _("Reviewers"),
    Role.AUDITOR.value: _("Auditors"),
    Role.ADMISSION_REVIEWER.value: _("Admission reviewers"),
    # Wagtail's default groups (wagtailcore's migrations create them).
    "Moderators": _("Moderators"),
    "Editors": _("Editors"),
}


def group_label(name: str) -> str:
    """The label of the group called ``name`` in the active language."""
    return str(GROUP_LABELS.get(name, name))
