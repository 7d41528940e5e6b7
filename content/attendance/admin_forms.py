"""The event page editor's form: a session people registered for cannot be deleted.

Registrations protect their session (``on_delete=PROTECT``), so deleting such a session from
the page would fail with a ``ProtectedError`` when the page is published. The editor says so
on the form instead, and the session can be closed rather than removed.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm


class EventPageForm(WagtailAdminPageForm):
    def is_valid(self) -> bool:
        # After the formsets are validated: only then do they know which forms are deleted.
        valid = super().is_valid()
        formset = self.formsets.get("sessions")
        if formset is None:
            return valid
        # Models are imported here: this module is imported by the models themselves.
        from ..models import Registration

        deleted = [form.instance.pk for form in formset.deleted_forms if form.instance.pk]
        protected = Registration.objects.filter(session_id__in=deleted)
        for form in formset.deleted_forms:
            session = form.instance
            if session.pk and protected.filter(session_id=session.pk).exists():
                message = _(
                    "The session “%(session)s” has registrations and cannot be deleted. "
                    "Close it instead, or keep it on the page."
                ) % {"session": session}
                form.add_error(None, message)
                self.add_error(None, message)
                valid = False
        return valid
