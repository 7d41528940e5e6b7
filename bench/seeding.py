"""Row builders shared by the benchmark's seeding commands (``seed_bench``, ``seed_big_firm``).

Why a module: both commands write the same kinds of rows — invented collectors in the Collectors
group, their memberships, a certificate with the passing attempt and completed issuance request
it came from, audit findings, course completions — straight through
:func:`lms.compliance.bulk.insert` (COPY on PostgreSQL). What differs is how many rows and in
which states, which each command decides; how a row is written is decided here, once. The
builders draw from the command's random generator in the order the commands always have, so a
given ``--seed`` makes the same data as before.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from stdnum.cn import uscc

from courses.models import CourseIndexPage, CoursePage, CourseTopic, Enrolment
from exams.certificates.issuance import make_serial
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
)
from exams.models import Attempt, AttemptStatus, ExamIndexPage, ExamPage
from lms.accounts.models import Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.compliance import bulk
from lms.compliance.models import Finding

HUNDRED = Decimal(100)
PLACEHOLDER_PDF = "bench/placeholder.pdf"
SUSPENSION_REASON = "压测：暂停待处理。"


def refuse_without_debug(command: str, force: bool) -> None:
    """Stop unless DEBUG is on or ``--force`` given: the commands fill a database with invented
    people and firms, which must never happen to a production database by mistake."""
    if not settings.DEBUG and not force:
        raise CommandError(
            f"{command} fills the database with invented people and firms; it refuses to run "
            "with DEBUG off. Use --force if this really is a benchmark or test database."
        )


# --- Values ------------------------------------------------------------------------------------


def organisation_code(serial: int) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    body = f"{serial:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(serial: int, region: str = "310000") -> str:
    """A valid unified social credit code (GB 32100-2015) for enterprise number ``serial``:
    registered by the SAMR (9), a company (1), in ``region``."""
    body = f"91{region}{organisation_code(serial)}"
    return body + uscc.calc_check_digit(body)


def weighted_row(rng: random.Random, table: Sequence[tuple]) -> tuple:
    """One row of ``table`` drawn by its weight (each row's second item)."""
    return rng.choices(table, [row[1] for row in table])[0]


def weighted(rng: random.Random, table: Sequence[tuple]) -> object:
    """The value (first item) of a ``(value, weight)`` row drawn by weight."""
    return weighted_row(rng, table)[0]


# --- Pages -------------------------------------------------------------------------------------


def ensure_programme(*, exam_title: str, slug: str, name: str, code: str) -> CertificationProgramme:
    """The first active programme, or one made here with a minimal final exam (published)."""
    programme = CertificationProgramme.objects.filter(is_active=True).order_by("pk").first()
    if programme is not None:
        return programme
    index = ExamIndexPage.objects.first()
    if index is None:
        raise CommandError("No exam index page: run `manage.py migrate` first.")
    exam = ExamPage(title=exam_title, slug=slug, pass_mark_percent=60, time_limit_minutes=60)
    index.add_child(instance=exam)
    exam.save_revision().publish()
    return CertificationProgramme.objects.create(
        name=name, code=code, final_exam=exam, validity_months=24, renewal_window_days=60
    )


def publish_course(*, title: str, slug: str, summary: str) -> CoursePage | None:
    """A new published course under the first course index; None when there is no index."""
    index = CourseIndexPage.objects.first()
    if index is None:
        return None
    course = CoursePage(title=title, slug=slug, topic=CourseTopic.BANKING_RULES, summary=summary)
    index.add_child(instance=course)
    course.save_revision().publish()
    return course


# --- People ------------------------------------------------------------------------------------


def insert_collectors(
    rng: random.Random,
    count: int,
    *,
    surnames: str,
    given: str,
    email_prefix: str,
    now: datetime,
    **constant: object,
) -> list[tuple[int, str]]:
    """``count`` invented collectors in the Collectors group, emails
    ``<email_prefix>-000000@example.com`` on, names of a surname and one or two given
    characters, ``constant`` the value of any further fields; (id, legal name) of each.

    Nobody can sign in as them (unusable passwords)."""
    names = [
        rng.choice(surnames) + "".join(rng.choices(given, k=rng.randint(1, 2)))
        for _ in range(count)
    ]
    ids = bulk.insert(
        User,
        ("email", "legal_name", "phone", "password", "date_joined", *constant),
        (
            (
                f"{email_prefix}-{number:06d}@example.com",
                name,
                f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                f"!{rng.getrandbits(128):032x}",  # unusable: nobody signs in as these
                now - timedelta(days=rng.randrange(30, 1500)),
                *constant.values(),
            )
            for number, name in enumerate(names)
        ),
        returning_ids=True,
    )
    group = Group.objects.get(name=Role.COLLECTOR)
    bulk.insert(User.groups.through, ("user_id", "group_id"), ((pk, group.pk) for pk in ids))
    return list(zip(ids, names, strict=True))


def insert_memberships(rows: Iterable[tuple]) -> None:
    """Collector memberships: rows of (user id, firm id, employee number, from, to or None)."""
    bulk.insert(
        Membership,
        ("user_id", "firm_id", "employee_number", "active_from", "active_to", "role"),
        (row + (MembershipRole.COLLECTOR,) for row in rows),
    )


# --- Certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateSpec:
    """One certificate to write, with the attempt (number ``number``) that earned it."""

    user_id: int
    name: str
    number: int  # the holder's attempt number (and paper seed); above 1, a renewal
    issued: datetime
    expires: datetime
    status: str
    score: Decimal
    status_changed_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str = ""


def insert_certificates(
    rng: random.Random,
    programme: CertificationProgramme,
    specs: Sequence[CertificateSpec],
    *,
    suspended_since: Callable[[CertificateSpec], datetime],
) -> None:
    """Each certificate as issuance leaves it: its passing attempt, its completed issuance
    request, the certificate (placeholder PDF, already notified) and, for a suspended one, its
    suspension in force (one open row, as the suspension service writes it) since
    ``suspended_since(spec)``."""
    attempt_ids = bulk.insert(
        Attempt,
        (
            "user_id",
            "exam_id",
            "number",
            "seed",
            "status",
            "started_at",
            "deadline",
            "submitted_at",
            "score",
            "max_score",
            "percent",
            "passed",
        ),
        (
            (
                spec.user_id,
                programme.final_exam_id,
                spec.number,
                spec.number,
                AttemptStatus.SUBMITTED,
                spec.issued - timedelta(minutes=40),
                spec.issued + timedelta(minutes=20),
                spec.issued,
                spec.score,
                HUNDRED,
                spec.score,
                True,
            )
            for spec in specs
        ),
        returning_ids=True,
    )
    request_ids = bulk.insert(
        IssuanceRequest,
        (
            "holder_id",
            "programme_id",
            "attempt_id",
            "kind",
            "created_at",
            "dispatched_at",
            "completed_at",
        ),
        (
            (
                spec.user_id,
                programme.pk,
                attempt_id,
                IssuanceKind.RENEWAL if spec.number > 1 else IssuanceKind.INITIAL,
                spec.issued,
                spec.issued,
                spec.issued,
            )
            for attempt_id, spec in zip(attempt_ids, specs, strict=True)
        ),
        returning_ids=True,
    )
    certificate_ids = bulk.insert(
        Certificate,
        (
            "request_id",
            "holder_id",
            "programme_id",
            "serial",
            "holder_name",
            "programme_name",
            "score",
            "issued_at",
            "expires_at",
            "status",
            "status_changed_at",
            "revoked_at",
            "revocation_reason",
            "status_index",
            "pdf",
            "notified_at",
        ),
        (
            (
                request_id,
                spec.user_id,
                programme.pk,
                make_serial(request_id, spec.issued.year),
                spec.name,
                programme.name,
                spec.score,
                spec.issued,
                spec.expires,
                spec.status,
                spec.status_changed_at,
                spec.revoked_at,
                spec.revocation_reason,
                request_id,  # the status list index: sequential here, random in issuance
                PLACEHOLDER_PDF,
                spec.issued,  # notified: nothing for the email sweep to pick up
            )
            for request_id, spec in zip(request_ids, specs, strict=True)
        ),
        returning_ids=True,
    )
    CertificateSuspension.objects.bulk_create(
        CertificateSuspension(
            certificate_id=certificate_id,
            category=rng.choice(CertificateSuspension.Category.values),
            reason=SUSPENSION_REASON,
            started_at=suspended_since(spec),
        )
        for certificate_id, spec in zip(certificate_ids, specs, strict=True)
        if spec.status == CertificateStatus.SUSPENDED
    )


# --- Findings and training ---------------------------------------------------------------------


def insert_findings(rows: Sequence[tuple], *, returning_ids: bool = False) -> list[int]:
    """Findings: rows of (collector id, firm id, occurred on, source, category, severity,
    description, status, recorded at, decided at); their ids when ``returning_ids``."""
    return bulk.insert(
        Finding,
        (
            "collector_id",
            "firm_id",
            "occurred_on",
            "source",
            "category",
            "severity",
            "description",
            "status",
            "recorded_at",
            "decided_at",
        ),
        rows,
        returning_ids=returning_ids,
    )


def insert_enrolments(rows: Sequence[tuple], *, returning_ids: bool = False) -> list[int]:
    """Course completions: rows of (user id, course id, enrolled at, completed at)."""
    return bulk.insert(
        Enrolment,
        ("user_id", "course_id", "enrolled_at", "completed_at"),
        rows,
        returning_ids=returning_ids,
    )
