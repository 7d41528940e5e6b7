"""A person's copy of everything the platform holds about them (个人信息保护法, articles 44–45).

Why here: the data spans every app (accounts, courses, exams, compliance), and the access log
it includes is compliance's. The download is JSON (machine-readable, so it can be taken to
another service); ``?format=zip`` adds the certificate PDFs. It contains only the requesting
user's own records: the staff who recorded or decided a finding are not named (that is their
personal data), while the access log says who viewed the person's details, as the law asks.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from content.models import Registration
from courses.models import CPDEntry, Enrolment, LessonCompletion
from exams.certificates.models import Certificate, ProgrammeAssignment
from exams.models import Attempt
from lms.accounts.models import Membership
from lms.accounts.request_types import AuthenticatedHttpRequest

from .models import CollectorRating, Finding, PersonalDataAccess, RatingSnapshot
from .privacy import log_access

FORMAT_VERSION = 1


def _profile(user) -> dict[str, Any]:
    return {
        "email": user.email,
        "legal_name": user.legal_name,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _memberships(user) -> list[dict[str, Any]]:
    return [
        {
            "firm": membership.firm.name,
            "firm_credit_code": membership.firm.credit_code,
            "role": membership.role,
            "employee_number": membership.employee_number,
            "active_from": membership.active_from,
            "active_to": membership.active_to,
        }
        for membership in Membership.objects.filter(user=user)
        .select_related("firm")
        .order_by("active_from")
    ]


def _learning(user) -> dict[str, Any]:
    enrolments = Enrolment.objects.filter(user=user).select_related("course").order_by("pk")
    lessons = LessonCompletion.objects.filter(user=user).select_related("lesson").order_by("pk")
    assignments = (
        ProgrammeAssignment.objects.filter(user=user)
        .select_related("programme", "firm")
        .order_by("assigned_at")
    )
    return {
        "enrolments": [
            {
                "course": enrolment.course.title,
                "enrolled_at": enrolment.enrolled_at,
                "completed_at": enrolment.completed_at,
            }
            for enrolment in enrolments
        ],
        "lessons_completed": [
            {"lesson": done.lesson.title, "completed_at": done.completed_at} for done in lessons
        ],
        "assignments": [
            {
                "programme": assignment.programme.name,
                "firm": assignment.firm.name,
                "assigned_at": assignment.assigned_at,
                "due_on": assignment.due_on,
                "completed_at": assignment.completed_at,
                "cancelled_at": assignment.cancelled_at,
            }
            for assignment in assignments
        ],
    }


def _training(user) -> dict[str, Any]:
    """Event registrations with their full history, and the CPD hours ledger. As for findings,
    the staff who changed a registration or adjusted hours are not named, only how."""
    registrations = (
        Registration.objects.filter(user=user)
        .select_related("session__page", "firm")
        .prefetch_related("changes")
        .order_by("created_at", "pk")
    )
    entries = (
        CPDEntry.objects.filter(user=user)
        .select_related("registration__session__page", "enrolment__course")
        .order_by("earned_on", "created_at", "pk")
    )
    return {
        "event_registrations": [
            {
                "event": registration.session.page.title,
                "session": str(registration.session),
                "starts_at": registration.session.start,
                "ends_at": registration.session.end,
                "firm": registration.firm.name if registration.firm else None,
                "state": registration.state,
                "registered_at": registration.created_at,
                "checked_in_at": registration.checked_in_at,
                "hours_attended": registration.attended_hours,
                "history": [
                    {
                        "from": change.from_state,
                        "to": change.to_state,
                        "at": change.at,
                        "via": change.via,
                        "reason": change.reason,
                        "hours": change.hours,
                    }
                    for change in registration.changes.all()
                ],
            }
            for registration in registrations
        ],
        "cpd_hours": [
            {
                "earned_on": entry.earned_on,
                "hours": entry.hours,
                "offline": entry.offline,
                "source": entry.source,
                "event": (entry.registration.session.page.title if entry.registration else None),
                "session": str(entry.registration.session) if entry.registration else None,
                "course": entry.enrolment.course.title if entry.enrolment else None,
                "reason": entry.reason,
                "recorded_at": entry.created_at,
            }
            for entry in entries
        ],
    }


def _attempts(user) -> list[dict[str, Any]]:
    """A summary per attempt (score and outcome); the answers themselves stay in the exam."""
    attempts = Attempt.objects.filter(user=user).select_related("exam").order_by("started_at")
    return [
        {
            "exam": attempt.exam.title,
            "attempt": attempt.number,
            "status": attempt.status,
            "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at,
            "percent": attempt.percent,
            "passed": attempt.passed,
        }
        for attempt in attempts
    ]


def _certificates(certificates: list[Certificate]) -> list[dict[str, Any]]:
    return [
        {
            "serial": certificate.serial,
            "programme": certificate.programme_name,
            "holder_name": certificate.holder_name,
            "score": certificate.score,
            "issued_at": certificate.issued_at,
            "expires_at": certificate.expires_at,
            "status": certificate.status,
            "revoked_at": certificate.revoked_at,
            "revocation_reason": certificate.revocation_reason,
            "verification_url": certificate.absolute_verification_url,
        }
        for certificate in certificates
    ]


def _findings(user) -> list[dict[str, Any]]:
    findings = (
        Finding.objects.filter(collector=user)
        .select_related("firm", "regulation", "appeal")
        .prefetch_related("evidence")
        .order_by("occurred_on", "pk")
    )
    rows = []
    for finding in findings:
        appeal = getattr(finding, "appeal", None)
        rows.append(
            {
                "occurred_on": finding.occurred_on,
                "firm": finding.firm.name if finding.firm else None,
                "source": finding.source,
                "category": finding.category,
                "severity": finding.severity,
                "description": finding.description,
                "regulation": str(finding.regulation) if finding.regulation else None,
                "status": finding.status,
                "recorded_at": finding.recorded_at,
                "decided_at": finding.decided_at,
                "decision_note": finding.decision_note,
                "evidence": [
                    {"description": item.description, "uploaded_at": item.uploaded_at}
                    for item in finding.evidence.all()
                ],
                "appeal": None
                if appeal is None
                else {
                    "filed_at": appeal.filed_at,
                    "grounds": appeal.grounds,
                    "outcome": appeal.outcome,
                    "decided_at": appeal.decided_at,
                    "decision_note": appeal.decision_note,
                },
            }
        )
    return rows


def _ratings(user) -> dict[str, Any]:
    current = CollectorRating.objects.filter(user=user).select_related("firm").first()
    history = RatingSnapshot.objects.filter(user=user).order_by("created_at", "pk")
    return {
        "current": None
        if current is None
        else {
            "firm": current.firm.name if current.firm else None,
            "score": current.score,
            "grade": current.grade,
            "formula_version": current.formula_version,
            "components": current.components,
            "certificate_status": current.certificate_status,
            "certificate_expires_at": current.certificate_expires_at,
            "changed_at": current.changed_at,
        },
        "history": [
            {
                "created_at": snapshot.created_at,
                "score": snapshot.score,
                "grade": snapshot.grade,
                "formula_version": snapshot.formula_version,
                "reason": snapshot.reason,
                "components": snapshot.components,
            }
            for snapshot in history
        ],
    }


def _access_log(user) -> list[dict[str, Any]]:
    accesses = (
        PersonalDataAccess.objects.filter(subject=user)
        .select_related("viewer", "token__firm")
        .order_by("accessed_at", "pk")
    )
    rows = []
    for access in accesses:
        if access.viewer_id == user.pk:
            viewer = {"kind": "self"}
        elif access.viewer is not None:
            viewer = {"kind": "person", "name": access.viewer.legal_name or access.viewer.email}
        elif access.token is not None:
            viewer = {
                "kind": "api_token",
                "name": access.token.name,
                "firm": access.token.firm.name,
            }
        else:
            viewer = {"kind": "unknown"}
        rows.append(
            {
                "accessed_at": access.accessed_at,
                "viewer": viewer,
                "fields": access.fields,
                "context": access.context,
            }
        )
    return rows


def collect(user, certificates: list[Certificate] | None = None) -> dict[str, Any]:
    """Everything about ``user``, as plain values ready for JSON."""
    if certificates is None:
        certificates = list(Certificate.objects.filter(holder=user).order_by("issued_at"))
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "profile": _profile(user),
        "memberships": _memberships(user),
        **_learning(user),
        **_training(user),
        "exam_attempts": _attempts(user),
        "certificates": _certificates(certificates),
        "audit_findings": _findings(user),
        "ratings": _ratings(user),
        "personal_data_access_log": _access_log(user),
    }


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


@never_cache
@login_required
@require_safe
def download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in person's data as a JSON attachment (``?format=zip``: with certificate PDFs)."""
    user = request.user
    as_zip = request.GET.get("format") == "zip"
    log_access(
        [user],
        fields=["all"],
        context="my data download (zip)" if as_zip else "my data download",
        viewer=user,
        export=True,
    )
    certificates = list(Certificate.objects.filter(holder=user).order_by("issued_at"))
    document = _json(collect(user, certificates))
    stem = f"sunshine-academy-my-data-{timezone.localdate():%Y-%m-%d}"
    if not as_zip:
        response = HttpResponse(document, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}.json")
        return response
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data.json", document)
        for certificate in certificates:
            name = certificate.pdf.name  # a FieldFile is true when it has a name
            if name and certificate.pdf.storage.exists(name):
                with certificate.pdf.open("rb") as pdf:
                    archive.writestr(f"certificates/{certificate.serial}.pdf", pdf.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.zip")
    return response
