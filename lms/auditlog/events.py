"""The kinds of event the audit log records, with their names as the trail shows them.

One list, so a typo in a service is an error at the first test rather than a type nobody
filters on, and the admin's filter offers exactly these.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

EVENT_TYPES = {
    "certificate.issued": _("Certificate issued"),
    "certificate.superseded": _("Certificate superseded"),
    "certificate.suspended": _("Certificate suspended"),
    "certificate.reinstated": _("Certificate reinstated"),
    "certificate.revoked": _("Certificate revoked"),
    "certificate.expired": _("Certificate expired"),
    "attempt.submitted": _("Exam attempt submitted"),
    "attempt.graded": _("Exam attempt graded"),
    "finding.recorded": _("Finding recorded"),
    "finding.edited": _("Finding corrected"),
    "finding.confirmed": _("Finding confirmed"),
    "finding.dismissed": _("Finding dismissed"),
    "finding.appealed": _("Finding appealed"),
    "appeal.decided": _("Appeal decided"),
    "rating.snapshots_written": _("Rating snapshots written"),
    "firm.status_changed": _("Firm status changed"),
    "admission.decided": _("Admission decided"),
    "admission.condition_met": _("Admission condition met"),
    "membership.started": _("Membership started"),
    "membership.ended": _("Membership ended"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "webhook.secret_rotated": _("Webhook secret rotated"),
    "personal_data.viewed": _("Personal data viewed"),
    "personal_data.exported": _("Personal data exported"),
    "staff.signed_in": _("Staff signed in"),
    "regulations.loaded": _("Regulation library loaded"),
    "auditlog.exported": _("Audit log exported"),
}


def label(event_type: str) -> str:
    return str(EVENT_TYPES.get(event_type, event_type))
