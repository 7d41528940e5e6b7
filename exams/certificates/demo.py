"""Demo certification: the programme 合规催收从业资格 and two demo holders.

collector@demo.test earns a valid certificate the way a real collector does — every required
course completed, the exam sat and passed — in September 2025, on the 2012 edition of
治安管理处罚法 (``demo_law_change`` shows the 2025 revision reaching it), and
collector2@demo.test holds one an auditor revoked, so the verification page can be tried in
both states. Their exam attempts are dated a
few days back, so neither is waiting out the exam's 24 h cooldown when the demo starts.
Idempotent: a programme that exists is left alone (a trainer may have edited it) and a holder
who has a certificate keeps it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from content.models import Regulation
from courses.models import CoursePage, Enrolment, LessonCompletion
from courses.progress import course_outline
from exams import attempts, grading
from exams.demo_content import EXAM
from exams.models import ExamPage
from lms.accounts.models import User
from lms.lib.demo import DemoReport

from . import basis, issuance, lifecycle
from .models import Certificate, CertificateBasis, CertificateStatus, CertificationProgramme

PROGRAMME = {
    "code": "compliant-collection",
    "name": "合规催收从业资格",
    "description": (
        "完成五门必修课程（银行业监管规定、治安管理处罚法、刑法、个人信息保护、沟通降级技巧）"
        "并通过合规催收上岗考试，即可取得本资格证书，有效期24个月。"
        "到期前60天内可重新参加考试续期，续期后的有效期从原到期日起算。"
        "续期前12个月内须完成至少12学时继续教育（课程与沙龙、峰会），其中线下至少4学时。"
    ),
    "validity_months": 24,
    "renewal_window_days": 60,
    "cpd_hours_required": 12,
    "cpd_offline_hours_required": 4,
    "cpd_cycle_months": 12,
}
REQUIRED_COURSES = (
    "banking-rules-collection-conduct",
    "public-security-law-2025",
    "criminal-law-red-lines",
    "personal-information-in-collection",
    "de-escalation-skills",
)
HOLDER = "collector@demo.test"
REVOKED_HOLDER = "collector2@demo.test"
# Their certificate is suspended by the auditor pending a critical finding (lms.compliance.demo).
SUSPENDED_HOLDER = "chen.si@demo.test"
REVOCATION_REASON = "演示：稽核发现该催收员冒充律师催收，证书撤销。"
# When the demo holder earned the certificate: in 2025, before the 2025 revision of
# 治安管理处罚法 took effect (demo_law_change shows that change reaching it).
ISSUED_IN_2025 = datetime(2025, 9, 15, 10, 0)


def ensure_demo_programme() -> list[str]:
    """Create the programme if it is missing; returns what was created."""
    if CertificationProgramme.objects.filter(code=PROGRAMME["code"]).exists():
        return []
    with transaction.atomic():
        programme = CertificationProgramme.objects.create(
            final_exam=ExamPage.objects.get(slug=EXAM["slug"]), **PROGRAMME
        )
        programme.required_courses.set(CoursePage.objects.filter(slug__in=REQUIRED_COURSES))
        programme.save()  # a ClusterableModel writes its parental many-to-many on save
    return [f"certification programme {programme.name}"]


def ensure_demo_certificates(auditor: User | None = None) -> list[tuple[str, Certificate]]:
    """Give the two demo holders their certificates; returns (what, certificate) per new one."""
    programme = CertificationProgramme.objects.get(code=PROGRAMME["code"])
    made = []
    holder = User.objects.get(email=HOLDER)
    if not Certificate.objects.filter(holder=holder, programme=programme).exists():
        with transaction.atomic():
            certificate = earn(holder, programme, when=timezone.make_aware(ISSUED_IN_2025))
            basis_as_issued(certificate)
        made.append(("valid certificate (issued in 2025)", certificate))
    revoked_holder = User.objects.get(email=REVOKED_HOLDER)
    if not Certificate.objects.filter(holder=revoked_holder, programme=programme).exists():
        certificate = earn(revoked_holder, programme)
        lifecycle.revoke(certificate, by=auditor, reason=REVOCATION_REASON)
        certificate.refresh_from_db()
        made.append(("revoked certificate", certificate))
    return made


def basis_as_issued(certificate: Certificate) -> None:
    """Put the certificate's basis back to what it was on its issue date.

    ``issuance.issue`` recorded the basis from today's lessons and questions, which cite the
    2025 revision; in 2025 the courses taught the 2012 edition, which those articles supersede.
    A version not yet in force on the issue date is therefore replaced by the version it
    superseded (and left out where there was none: the 2025 revision's new articles).
    """
    issued_on = timezone.localdate(certificate.issued_at)
    with transaction.atomic():
        later = list(
            CertificateBasis.objects.filter(
                certificate=certificate, regulation__effective_date__gt=issued_on
            ).values_list("pk", "regulation_id")
        )
        if not later:
            return
        earlier = Regulation.objects.filter(
            superseded_by__in=[regulation for _, regulation in later]
        ).values_list("pk", flat=True)
        CertificateBasis.objects.filter(pk__in=[pk for pk, _ in later]).delete()
        basis.record_regulations(certificate, list(earlier))


# Seeded attempts are dated this long ago, so the exam's 24 h wait after an attempt is over by
# the time anyone opens the demo: the demo collectors can show the exam page right away.
SEEDED_ATTEMPT_AGE = timedelta(days=3)


def earn(
    user: User,
    programme: CertificationProgramme,
    when: datetime | None = None,
    *,
    blank: int = 0,
) -> Certificate:
    """Complete the programme's courses and pass its exam as ``user`` at ``when`` (by default
    :data:`SEEDED_ATTEMPT_AGE` ago), leaving the first ``blank`` questions unanswered, then
    issue at once, dated ``when``.

    Issued here rather than left to a worker, so the demo has its certificate even when a broker
    is configured and no worker is running yet. A ``when`` about two years back gives a
    certificate about to expire.
    """
    when = when or timezone.now() - SEEDED_ATTEMPT_AGE
    studied = when - timedelta(days=1)
    for course in programme.required_courses.all():
        lessons = course_outline(course).lessons
        LessonCompletion.objects.bulk_create(
            [
                LessonCompletion(user=user, lesson=lesson, completed_at=studied)
                for lesson in lessons
            ],
            ignore_conflicts=True,
        )
        Enrolment.objects.update_or_create(
            user=user, course=course, defaults={"enrolled_at": studied, "completed_at": studied}
        )
    attempt = attempts.start_attempt(user, programme.final_exam, now=when)
    answers = {
        row.position: grading.correct_choice_ids(row.version.data)
        for row in attempt.questions.select_related("version")
        if row.position > blank
    }
    attempts.save_answers(attempt, answers, now=when)
    with transaction.atomic():
        graded = attempts.submit_attempt(attempt, now=when + timedelta(minutes=20))
    request = graded.issuance_request
    certificate = issuance.issue(request.pk, now=when + timedelta(minutes=21))
    assert certificate is not None and certificate.status == CertificateStatus.VALID
    return certificate


def demo_certificates() -> list[Certificate]:
    """The demo holders' current certificates, for seed_demo to print their verification URLs."""
    latest = []
    for email in (HOLDER, REVOKED_HOLDER, SUSPENDED_HOLDER):
        certificate = (
            Certificate.objects.filter(holder__email=email, programme__code=PROGRAMME["code"])
            .select_related("holder")
            .order_by("-issued_at")
            .first()
        )
        if certificate is not None:
            latest.append(certificate)
    return latest


# seed_demo steps (registered in the app's ready()).


def seed_programme(report: DemoReport) -> None:
    """The demo programme, and the certificates the demo learners hold (issued by the auditor)."""
    report.created_lines(ensure_demo_programme())
    auditor = User.objects.filter(email="auditor@demo.test").first()
    for what, certificate in ensure_demo_certificates(auditor):
        report.line(f"{certificate.holder.email}: {what} {certificate.serial}", created=1)


def seed_certificate_links(report: DemoReport) -> None:
    """Where to check each demo certificate (last, so the links are easy to find)."""
    for certificate in demo_certificates():
        report.line(
            f"{certificate.holder.email} certificate ({certificate.get_status_display()}): "
            f"{certificate.absolute_verification_url}"
        )
