"""A firm manager downloads their firm's audit trail as a verifiable bundle (/firm/audit-log/).

Who: firm managers, for their own firm only (:func:`~lms.accounts.onboarding.access.
manager_required`); anyone else signed in gets a 403, and a bundle URL naming another firm —
a contracted agency included — is a 404, so other firms' existence does not leak. A lender
sees its agencies' staff on the roster, but the agencies' audit trails are theirs.

What: the firm's events of the chosen days, with every other event of the span redacted, the
checkpoints and the public key (:mod:`lms.auditlog.export`). Personal data is always masked:
the bundle leaves the platform, and the platform's staff export unmasked bundles with
``manage.py export_audit_log`` where the law allows. Each download appends an
``auditlog.exported`` event with the bundle's SHA-256 (:mod:`lms.compliance.audit_exports`).

The bundle covers events only up to the latest hourly checkpoint: a download never signs one.
Why: each download records an event, so signing on demand would add a permanent checkpoint per
click; the platform staff's command still signs on demand. Downloads are limited per user
(``AUDIT_LOG_EXPORT_RATE``, default 10 an hour): each writes a bundle and an event.

The download is a POST: it records an event, which a GET (prefetched, repeated by a browser)
must not do.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from lms.accounts.onboarding.access import manager_required
from lms.accounts.onboarding.forms import DateInput
from lms.auditlog.export import BEIJING
from lms.auditlog.models import AuditEvent, EventFirm
from lms.compliance.audit_exports import (
    DayOutOfRange,
    NoCheckpoint,
    NoCheckpointYet,
    NothingToExport,
    bundle_filename,
    check_day,
    export_audit_log,
)
from lms.lib.ratelimit import hit

if TYPE_CHECKING:
    from lms.accounts.models import Firm
    from lms.accounts.request_types import ManagerHttpRequest

logger = logging.getLogger(__name__)
MAX_DAYS = 366
RECENT_EXPORTS = 5
DEFAULT_RATE = "10/h"  # downloads per user (settings.AUDIT_LOG_EXPORT_RATE)


def beijing_today() -> date:
    return timezone.now().astimezone(BEIJING).date()


class AuditExportForm(forms.Form):
    """The days to export (Beijing time, both included), at most a year, none in the future."""

    start = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), widget=DateInput())

    def _in_range(self, name: str) -> date:
        """Days before 1970 are refused here (no event is that old, and year 1 has no valid
        Beijing midnight in UTC); days after today are refused by :meth:`clean`."""
        day = self.cleaned_data[name]
        if day <= beijing_today():
            try:
                check_day(day)
            except DayOutOfRange:
                raise forms.ValidationError(_("Choose a date from 1970 on.")) from None
        return day

    def clean_start(self) -> date:
        return self._in_range("start")

    def clean_end(self) -> date:
        return self._in_range("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if end > beijing_today():
                raise forms.ValidationError(_("The end date is in the future."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days at a time.") % {"days": MAX_DAYS}
                )
        return data


def _recent_exports(firm: Firm) -> list[dict]:
    """The firm's latest exports, so managers see who else handed out its trail (no names)."""
    events = AuditEvent.objects.filter(
        event_type="auditlog.exported",
        seq__in=EventFirm.objects.filter(firm_id=firm.pk).values("event_id"),
    ).order_by("-seq")[:RECENT_EXPORTS]
    return [
        {
            "at": event.occurred_at,
            "start": event.payload.get("from"),
            "end": event.payload.get("to"),
            "masked": event.payload.get("masked"),
            "sha256": event.payload.get("sha256", ""),
        }
        for event in events
    ]


def _page(
    request: ManagerHttpRequest,
    form: AuditExportForm,
    *,
    status: int = 200,
    nothing: bool = False,
    unavailable: bool = False,
    no_checkpoint: bool = False,
    wait_minutes: int | None = None,
) -> HttpResponse:
    return render(
        request,
        "compliance/dashboard/audit_log.html",
        {
            "firm": request.firm,
            "form": form,
            "nothing": nothing,
            "unavailable": unavailable,
            "no_checkpoint": no_checkpoint,
            "wait_minutes": wait_minutes,
            "recent": _recent_exports(request.firm),
            "max_days": MAX_DAYS,
        },
        status=status,
    )


def _user(group: str, request: HttpRequest) -> str:
    """Downloads are counted per signed-in user."""
    return str(request.user.pk)


@require_safe
@manager_required
def audit_log(request: ManagerHttpRequest) -> HttpResponse:
    """The form: which days to export, and what the bundle is."""
    today = beijing_today()
    form = AuditExportForm(initial={"start": today.replace(day=1), "end": today})
    return _page(request, form)


@require_POST
@manager_required
def audit_log_bundle(request: ManagerHttpRequest, firm_id: int) -> HttpResponseBase:
    """The bundle of the manager's firm for the posted days (masked), as a download."""
    if firm_id != request.firm.pk:
        raise Http404("Not your firm.")
    form = AuditExportForm(request.POST)
    rate = settings.AUDIT_LOG_EXPORT_RATE or DEFAULT_RATE
    wait = hit(request, group="audit-log-export", key=_user, rate=rate)
    if wait is not None:
        form.is_valid()  # show what was typed
        response = _page(request, form, status=429, wait_minutes=max(1, -(-wait // 60)))
        response["Retry-After"] = str(wait)
        return response
    if not form.is_valid():
        return _page(request, form, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    spool = tempfile.TemporaryFile()  # FileResponse closes it once sent
    try:
        export_audit_log(
            spool,
            firm=request.firm,
            start=start,
            end=end,
            masked=True,
            actor=request.user,
            sign_now=False,
        )
    except NothingToExport:
        spool.close()
        return _page(request, form, nothing=True)
    except NoCheckpointYet:
        spool.close()
        return _page(request, form, no_checkpoint=True)
    except NoCheckpoint:
        # The chain does not verify: no bundle may be vouched for. Logged for the platform.
        spool.close()
        logger.exception("audit log export refused for firm %s", request.firm.pk)
        return _page(request, form, status=503, unavailable=True)
    except Exception:
        spool.close()
        raise
    return FileResponse(
        spool,
        as_attachment=True,
        filename=bundle_filename(request.firm, start, end),
        content_type="application/zip",
    )
