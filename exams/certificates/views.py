"""The certificate pages: public verification, the holder's "My certificates", the PDF.

Verification needs no login and shows only what a firm, a debtor or a regulator needs to trust
a certificate: the masked name, the programme, the status, the dates and the regulation versions
it covers (its legal basis, with any superseded since marked); it is rate-limited so
codes cannot be enumerated. Everything else acts on the signed-in user's own certificates; a
certificate that is not theirs is a 404 (not a 403), so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from courses.models import CoursePage, Enrolment
from exams.models import Attempt
from lms.accounts.request_types import AuthenticatedHttpRequest
from lms.lib.masking import mask_name
from lms.lib.ratelimit import client_ip, limit_view
from lms.storage import serve_private

from . import basis, updates
from .attendance import replacement
from .models import (
    AttendanceCertificate,
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    CertificationProgramme,
    IssuanceRequest,
)

# How long a browser may reuse a verification page: short, so a revocation shows within a minute.
VERIFY_MAX_AGE = 60


def too_many_lookups() -> HttpResponse:
    return HttpResponse(
        _("Too many certificate lookups from your network. Please wait a minute and try again."),
        status=429,
        content_type="text/plain; charset=utf-8",
    )


# Every public lookup counts — found or not, page or JSON (credential_views uses it too) —
# against one budget per client IP (CERTIFICATE_VERIFY_RATE), so codes cannot be enumerated.
verification_rate_limit = limit_view(
    group="certificates.verify",
    key=client_ip,
    setting="CERTIFICATE_VERIFY_RATE",
    refused=too_many_lookups,
)


# --- Public verification -----------------------------------------------------------------------


@require_safe
@verification_rate_limit
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The page the QR code opens: is this certificate genuine, and is it still valid?

    Looked up only by the unguessable verification code in the QR (never by the serial printed
    next to it: serials are sequential, so they would let anyone walk through every
    certificate). Certificates of attendance are found the same way and get a page saying what
    they certify, or that a correction revoked them.
    """
    certificate = (
        Certificate.objects.select_related("superseded_by").filter(verification_code=code).first()
    )
    if certificate is None:
        attendance = AttendanceCertificate.objects.filter(verification_code=code).first()
        if attendance is None:
            return _unknown_code(request)
        context = {
            "certificate": attendance,
            "masked_name": mask_name(attendance.holder_name),
            "replacement": replacement(attendance),
        }
        return _verification_headers(
            render(request, "certificates/verify_attendance.html", context)
        )
    status = certificate.status_on()
    context = {
        "certificate": certificate,
        "status": status,
        "status_label": CertificateStatus(status).label,
        "masked_name": mask_name(certificate.holder_name),
        "successor": certificate.superseded_by if status == CertificateStatus.SUPERSEDED else None,
        "basis": basis.by_statute(basis.basis_of(certificate)),
        # The category and the date only: the free-text reason may name a finding or a person.
        "suspension": (
            certificate.open_suspension if status == CertificateStatus.SUSPENDED else None
        ),
    }
    return _verification_headers(render(request, "certificates/verify.html", context))


def _verification_headers(response: HttpResponse) -> HttpResponse:
    # Shared caches must not keep it (it changes on revocation, and with the language cookie).
    patch_cache_control(response, private=True, max_age=VERIFY_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the code is in the URL: keep it off other sites
    return response


def _unknown_code(request: HttpRequest) -> HttpResponse:
    """The site's own 404 page (not Django's technical one, even with DEBUG on), saying what
    went wrong in the visitor's language: whoever scanned a QR code needs to know whether to
    retype the code or suspect a forgery, not that a URL did not resolve."""
    response = render(
        request,
        "404.html",
        {
            "not_found_title": _("No certificate has this verification code"),
            "not_found_message": _(
                "Check the code against the one printed under the QR code on the certificate. "
                "If it matches and this page still appears, the certificate was not issued by "
                "Sunshine Academy: ask its holder for the original."
            ),
        },
        status=404,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- The holder's certificates -----------------------------------------------------------------


def _private[Response: HttpResponseBase](response: Response) -> Response:
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@dataclass
class Renewal:
    """What a holder must do to renew a certificate, and whether they may start now."""

    opens_at: object
    is_open: bool
    refresher_course: CoursePage | None
    refresher_done: bool
    exam: object


@dataclass
class ProgrammeProgress:
    """How far the holder is with a programme they are not (or no longer) certified in."""

    programme: CertificationProgramme
    courses: list[tuple[CoursePage, bool]] = field(default_factory=list)
    exam_passed: bool = False

    @property
    def courses_done(self) -> int:
        return sum(done for _, done in self.courses)


def _renewal(certificate: Certificate, completed: set[int], now) -> Renewal:
    programme = certificate.programme
    window = timedelta(days=programme.renewal_window_days)
    refresher = programme.refresher_course
    return Renewal(
        opens_at=certificate.expires_at - window,
        is_open=certificate.in_renewal_window(now),
        refresher_course=refresher,
        refresher_done=refresher is not None and refresher.pk in completed,
        exam=programme.renewal_exam_or_final,
    )


@require_safe
@login_required
def my_certificates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's certificates (current first), those being issued, and programmes in progress.

    A constant number of queries however many certificates and programmes there are.
    """
    user, now = request.user, timezone.now()
    certificates = list(
        Certificate.objects.filter(holder=user)
        .select_related(
            "programme__refresher_course",
            "programme__renewal_exam",
            "programme__final_exam",
            "superseded_by",
        )
        .order_by("-issued_at")
    )
    completed = set(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    current, suspended, history = [], [], []
    for certificate in certificates:
        certificate.public_status = certificate.status_on(now)
        if certificate.public_status == CertificateStatus.VALID:
            certificate.renewal = _renewal(certificate, completed, now)
            current.append(certificate)
        elif certificate.public_status == CertificateStatus.SUSPENDED:
            suspended.append(certificate)
        else:
            history.append(certificate)
    _attach_suspensions(suspended)
    # "需更新 — 截止 <date>" (or, after it, how to be reinstated): legal updates to complete.
    held = [*current, *suspended]
    due = updates.pending_updates(Certificate.objects.filter(holder=user), now) if held else {}
    for certificate in held:
        certificate.update = due.get(certificate.pk)
    pending = list(
        IssuanceRequest.objects.filter(holder=user, completed_at__isnull=True).select_related(
            "programme"
        )
    )
    # A suspended certificate is still held: its programme is not one to earn again.
    certified = {c.programme_id for c in [*current, *suspended]} | {r.programme_id for r in pending}
    context = {
        "current": current,
        "suspended": suspended,
        "history": history,
        "pending": pending,
        "in_progress": _programme_progress(user, certified, completed),
        # Only those in force: one revoked by a correction is not the holder's to show any more.
        "attendance": list(
            AttendanceCertificate.objects.filter(holder=user, revoked_at__isnull=True)
        ),
        "valid": CertificateStatus.VALID,
        "revoked": CertificateStatus.REVOKED,
    }
    return _private(render(request, "certificates/mine.html", context))


def _attach_suspensions(certificates: list[Certificate]) -> None:
    """Set ``suspension`` (the one in force) on each suspended certificate: one query."""
    if not certificates:
        return
    in_force = {
        suspension.certificate_id: suspension
        for suspension in CertificateSuspension.objects.filter(
            certificate__in=certificates, ended_at__isnull=True
        )
    }
    for certificate in certificates:
        certificate.suspension = in_force.get(certificate.pk)


def _programme_progress(user, certified: set[int], completed: set[int]) -> list[ProgrammeProgress]:
    """Active programmes the user is not certified in: required courses done, exam passed."""
    programmes = list(
        CertificationProgramme.objects.filter(is_active=True)
        .exclude(pk__in=certified)
        .select_related("final_exam")
        .prefetch_related("required_courses")
    )
    if not programmes:
        return []
    passed = set(
        # Only passes no certificate was issued for: an old certificate's pass does not count.
        Attempt.objects.filter(
            user=user,
            passed=True,
            issuance_request__isnull=True,
            exam_id__in=[p.final_exam_id for p in programmes],
        ).values_list("exam_id", flat=True)
    )
    progress = []
    for programme in programmes:
        courses = sorted(programme.required_courses.all(), key=lambda course: course.path)
        progress.append(
            ProgrammeProgress(
                programme=programme,
                courses=[(course, course.pk in completed) for course in courses],
                exam_passed=programme.final_exam_id in passed,
            )
        )
    return progress


@require_safe
@login_required
def download_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The certificate's PDF, as ``<serial>.pdf``: for its holder, or staff who may view
    certificates. Anyone else gets the same 404 as for a certificate that does not exist."""
    certificate = get_object_or_404(Certificate, pk=pk)
    user = request.user
    if certificate.holder_id != user.pk and not user.has_perm("certificates.view_certificate"):
        raise Http404("No such certificate.")
    if not certificate.pdf:
        raise Http404("This certificate has no PDF yet.")
    return _private(
        serve_private(
            certificate.pdf, content_type="application/pdf", filename=f"{certificate.serial}.pdf"
        )
    )


@require_safe
@login_required
def download_attendance_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A certificate of attendance's PDF, as ``<serial>.pdf``: for its holder while it is in
    force, or staff who may view certificates of attendance (revoked ones too, for the record).
    Anyone else gets the same 404 as for one that does not exist."""
    certificate = get_object_or_404(AttendanceCertificate, pk=pk)
    user = request.user
    if not user.has_perm("certificates.view_attendancecertificate") and (
        certificate.holder_id != user.pk or certificate.revoked_at is not None
    ):
        raise Http404("No such certificate.")
    return _private(
        serve_private(
            certificate.pdf, content_type="application/pdf", filename=f"{certificate.serial}.pdf"
        )
    )
