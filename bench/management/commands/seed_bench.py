"""``manage.py seed_bench --collectors N``: realistic synthetic data for the rating benchmark.

Installed only with the test and benchmark settings (app ``bench``, see bench/apps.py).

Written with ``bulk_create`` in one transaction, so 100,000 collectors take about a minute on
PostgreSQL. What it makes, per 100,000 collectors (reproducible for a given ``--seed``):

* ~500 collection agencies (Pareto-sized) and ~50 lenders with contracts, all with valid unified
  social credit codes; ~93 % of collectors work for an agency now, ~4 % moved there from
  another, ~3 % have left (firmless, still rated as Collectors group members);
* ~300,000 certificates of one programme (the first active one, or a minimal exam and programme
  created here), ~3 per collector across their history: superseded by renewal, lapsed and
  expired, revoked, and the latest one valid for most — each with its passing ``Attempt`` and
  completed ``IssuanceRequest``, as issuance would leave them;
* ~20,000 audit findings over three years in every status and severity (appealed ones with their
  appeal), counted against the collector's firm;
* programme assignments for ~25 % (some overdue, some done or cancelled) and a course completed
  by about half of them in the last two years.

Bench data has no real PDFs (``pdf`` points at ``bench/placeholder.pdf``), no email addresses
users can confirm (unusable passwords, no ``EmailAddress`` rows), and certificates are not linked
to their successors (``superseded_by`` and ``renews`` are empty). It is for measuring, never for
a site people use: do not run beat against it (expiry reminders would go to invented people).
"""

from __future__ import annotations

import random
import time as clock
from argparse import ArgumentParser
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import uscc

from courses.models import CourseIndexPage, CoursePage, CourseTopic, CPDEntry, Enrolment
from exams.certificates.issuance import make_serial
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
    ProgrammeAssignment,
)
from exams.models import Attempt, AttemptStatus, ExamIndexPage, ExamPage
from lms.accounts.models import (
    Contract,
    Firm,
    FirmKind,
    FirmStatus,
    Membership,
    MembershipRole,
    User,
)
from lms.accounts.roles import Role
from lms.compliance import bulk
from lms.compliance.models import (
    Appeal,
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Severity,
)

CHUNK = 10_000  # collectors whose certificates are built at once (bounds memory)
PLACEHOLDER_PDF = "bench/placeholder.pdf"
PROGRAMME_CODE = "bench-compliance"
REVOCATION_REASON = "压测：稽核发现违规，证书撤销。"
SUSPENSION_REASON = "压测：暂停待处理。"
HUNDRED = Decimal(100)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉力鹏宇浩然晨思雨欣"
    "怡子涵梓轩博文俊杰嘉怡佳琪"
)
REGIONS = ("110000", "310000", "440100", "440300", "330100", "320100", "510100", "420100", "610100")
# Share of collectors by number of certificates in their history (mean ≈ 3).
HISTORY = ((0, 1), (1, 13), (2, 15), (3, 30), (4, 25), (5, 16))
FINDING_STATUSES = (
    (FindingStatus.CONFIRMED, 50),
    (FindingStatus.DISMISSED, 25),
    (FindingStatus.OPEN, 15),
    (FindingStatus.APPEALED, 10),
)
SEVERITIES = ((Severity.MINOR, 60), (Severity.MAJOR, 30), (Severity.CRITICAL, 10))


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


def weighted(rng: random.Random, table) -> object:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class Counts:
    firms: int = 0
    lenders: int = 0
    agencies: int = 0
    collectors: int = 0
    certificates: int = 0
    findings: int = 0
    assignments: int = 0
    enrolments: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class Command(BaseCommand):
    help = (
        "Generate synthetic firms, collectors, certificates, findings and assignments for the "
        "rating benchmark (bulk inserts; no real PDFs). Refuses to run with DEBUG off unless "
        "--force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--collectors", type=int, default=1000, help="How many collectors.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; also keeps runs apart (emails)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )

    def handle(self, *args: object, collectors: int, seed: int, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_bench fills the database with invented people and firms; it refuses to run "
                "with DEBUG off. Use --force if this really is a benchmark or test database."
            )
        if collectors < 1:
            raise CommandError("--collectors must be at least 1.")
        if User.objects.filter(email__startswith=f"bench{seed}-").exists():
            raise CommandError(
                f"Bench data for seed {seed} exists already; use another --seed or a fresh "
                "database."
            )
        started = clock.perf_counter()
        with transaction.atomic():
            counts = Seeder(collectors, seed).run()
        if connection.vendor == "postgresql":
            # Fresh statistics, as a database that grew over time would have: the planner
            # picks its plans for the recompute's range scans from them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"seed_bench: {counts.collectors} collectors, {counts.firms} firms "
            f"({counts.lenders} lenders, {counts.agencies} agencies), "
            f"{counts.certificates} certificates "
            f"({', '.join(f'{n} {s}' for s, n in sorted(counts.by_status.items()))}), "
            f"{counts.findings} findings, {counts.assignments} assignments, "
            f"{counts.enrolments} course completions in {clock.perf_counter() - started:.1f} s"
        )


class Seeder:
    """Builds the data set; one instance per run."""

    def __init__(self, collectors: int, seed: int) -> None:
        self.n = collectors
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.counts = Counts(collectors=collectors)

    def run(self) -> Counts:
        self.programme = self.ensure_programme()
        self.course = self.ensure_course()
        self.agencies = self.make_firms()
        users = self.make_users()
        self.firm_of = self.make_memberships(users)
        for start in range(0, len(users), CHUNK):
            self.make_certificates(users[start : start + CHUNK])
        self.make_findings(users)
        self.make_assignments(users)
        self.make_enrolments(users)
        return self.counts

    # --- Programme -------------------------------------------------------------------------------

    def ensure_programme(self) -> CertificationProgramme:
        programme = CertificationProgramme.objects.filter(is_active=True).order_by("pk").first()
        if programme is not None:
            return programme
        index = ExamIndexPage.objects.first()
        if index is None:
            raise CommandError("No exam index page: run `manage.py migrate` on a site first.")
        exam = ExamPage(
            title="压测结业考试",
            slug=f"bench-exam-{self.seed}",
            pass_mark_percent=60,
            time_limit_minutes=60,
        )
        index.add_child(instance=exam)
        exam.save_revision().publish()
        return CertificationProgramme.objects.create(
            name="压测合规催收从业资格",
            code=PROGRAMME_CODE,
            final_exam=exam,
            validity_months=24,
            renewal_window_days=60,
        )

    def ensure_course(self) -> CoursePage | None:
        """The course whose completion counts as refresher training."""
        programme = self.programme
        course = programme.refresher_course or programme.required_courses.first()
        if course is None:
            course = CoursePage.objects.order_by("pk").first()
        if course is None:
            index = CourseIndexPage.objects.first()
            if index is None:
                return None
            course = CoursePage(
                title="压测复训课程",
                slug=f"bench-course-{self.seed}",
                topic=CourseTopic.BANKING_RULES,
                summary="压测用复训课程。",
            )
            index.add_child(instance=course)
            course.save_revision().publish()
        return course

    # --- Firms and people ------------------------------------------------------------------------

    def make_firms(self) -> list[tuple[Firm, float]]:
        rng = self.rng
        agencies = max(1, self.n // 200)
        lenders = max(1, agencies // 10)
        taken = set(Firm.objects.values_list("credit_code", flat=True))
        serial = 10_000_000 + self.seed * 1_000_000
        firms = []
        for number in range(lenders + agencies):
            serial += 1 + rng.randrange(50)
            code = credit_code(serial, rng.choice(REGIONS))
            while code in taken:
                serial += 1
                code = credit_code(serial, rng.choice(REGIONS))
            taken.add(code)
            lender = number < lenders
            firms.append(
                Firm(
                    name=(
                        f"压测{'消费金融' if lender else '资产管理'}公司{self.seed}-{number:04d}"
                    ),
                    credit_code=code,
                    kind=FirmKind.LENDER if lender else FirmKind.AGENCY,
                    status=weighted(
                        rng,
                        (
                            (FirmStatus.ADMITTED, 90),
                            (FirmStatus.PENDING, 6),
                            (FirmStatus.SUSPENDED, 4),
                        ),
                    ),
                    created_at=self.now - timedelta(days=rng.randrange(365, 2000)),
                )
            )
        firms = Firm.objects.bulk_create(firms, batch_size=bulk.BATCH)
        lender_firms, agency_firms = firms[:lenders], firms[lenders:]
        contracts = [
            Contract(
                lender=lender,
                agency=agency,
                starts_on=self.today - timedelta(days=rng.randrange(30, 1000)),
            )
            for agency in agency_firms
            for lender in rng.sample(lender_firms, min(len(lender_firms), rng.randint(1, 3)))
        ]
        Contract.objects.bulk_create(contracts, batch_size=bulk.BATCH)
        self.counts.firms = len(firms)
        self.counts.lenders, self.counts.agencies = lenders, agencies
        # Pareto-sized agencies: a few large ones, many small ones.
        return [(agency, rng.paretovariate(1.5)) for agency in agency_firms]

    def make_users(self) -> list[tuple[int, str]]:
        """Returns (id, legal name) of each collector."""
        rng = self.rng
        names = [
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
            for _ in range(self.n)
        ]
        ids = bulk.insert(
            User,
            ("email", "legal_name", "phone", "password", "date_joined"),
            (
                (
                    f"bench{self.seed}-{number:06d}@example.com",
                    name,
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                    f"!{rng.getrandbits(128):032x}",  # unusable: nobody signs in as these
                    self.now - timedelta(days=rng.randrange(30, 1500)),
                )
                for number, name in enumerate(names)
            ),
            returning_ids=True,
        )
        group = Group.objects.get(name=Role.COLLECTOR)
        bulk.insert(User.groups.through, ("user_id", "group_id"), ((pk, group.pk) for pk in ids))
        return list(zip(ids, names, strict=True))

    def make_memberships(self, users: list[tuple[int, str]]) -> dict[int, int]:
        """Returns user id → current firm id (absent for those who left)."""
        rng = self.rng
        agencies = [firm.pk for firm, _ in self.agencies]
        sizes = [size for _, size in self.agencies]
        picks = rng.choices(agencies, sizes, k=len(users))
        rows, firm_of = [], {}
        for number, ((user_id, _), firm_id) in enumerate(zip(users, picks, strict=True)):
            roll = rng.random()
            joined = self.today - timedelta(days=rng.randrange(0, 1100))
            employee = f"B{self.seed}-{number:06d}"
            if roll < 0.07:  # worked somewhere before
                started = joined - timedelta(days=rng.randrange(60, 900))
                rows.append(
                    (user_id, rng.choice(agencies), employee, started, joined - timedelta(days=1))
                )
            if roll < 0.03:  # ... and has left the industry's firms since
                continue
            rows.append((user_id, firm_id, employee, joined, None))
            firm_of[user_id] = firm_id
        bulk.insert(
            Membership,
            ("user_id", "firm_id", "employee_number", "active_from", "active_to", "role"),
            (row + (MembershipRole.COLLECTOR,) for row in rows),
        )
        return firm_of

    # --- Certificates ----------------------------------------------------------------------------

    def history(self) -> list[tuple[datetime, str, Decimal]]:
        """(issued at, status, score) of one collector's certificates, oldest first."""
        rng = self.rng
        count = weighted(rng, HISTORY)
        if not count:
            return []
        validity = timedelta(days=round(self.programme.validity_months * 30.44))
        issued = self.now - timedelta(days=rng.uniform(1, validity.days + 15))
        if self.programme.expiry_after(issued) <= self.now:
            status = CertificateStatus.EXPIRED
        else:
            draw = rng.random()
            if draw < 0.02:
                status = CertificateStatus.REVOKED
            elif draw < 0.04:  # a missed legal update, or a critical finding being decided
                status = CertificateStatus.SUSPENDED
            else:
                status = CertificateStatus.VALID
        chain = [(issued, status)]
        for _ in range(count - 1):
            later = chain[0][0]
            how = weighted(
                rng,
                (
                    (CertificateStatus.SUPERSEDED, 80),
                    (CertificateStatus.EXPIRED, 15),
                    (CertificateStatus.REVOKED, 5),
                ),
            )
            if how == CertificateStatus.SUPERSEDED:  # renewed inside the window
                earlier = later - validity + timedelta(days=rng.uniform(0, 60))
            elif how == CertificateStatus.EXPIRED:  # lapsed, certified again later
                earlier = later - validity - timedelta(days=rng.uniform(1, 200))
            else:  # revoked, then certified again
                earlier = later - timedelta(days=rng.uniform(30, 600))
            chain.insert(0, (earlier, how))
        return [
            (when, status, Decimal(f"{rng.triangular(60, 100, 90):.2f}")) for when, status in chain
        ]

    def make_certificates(self, users: list[tuple[int, str]]) -> None:
        rng, programme = self.rng, self.programme
        exam_id = programme.final_exam_id
        specs = [
            (user_id, name, number, issued, status, score)
            for user_id, name in users
            for number, (issued, status, score) in enumerate(self.history(), start=1)
        ]
        if not specs:
            return
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
                    user_id,
                    exam_id,
                    number,
                    number,
                    AttemptStatus.SUBMITTED,
                    issued - timedelta(minutes=40),
                    issued + timedelta(minutes=20),
                    issued,
                    score,
                    HUNDRED,
                    score,
                    True,
                )
                for user_id, _, number, issued, _, score in specs
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
                    user_id,
                    programme.pk,
                    attempt_id,
                    IssuanceKind.RENEWAL if number > 1 else IssuanceKind.INITIAL,
                    issued,
                    issued,
                    issued,
                )
                for attempt_id, (user_id, _, number, issued, _, _) in zip(
                    attempt_ids, specs, strict=True
                )
            ),
            returning_ids=True,
        )
        rows = []
        for request_id, (user_id, name, _, issued, status, score) in zip(
            request_ids, specs, strict=True
        ):
            expires = programme.expiry_after(issued)
            revoked = None
            if status == CertificateStatus.REVOKED:
                revoked = min(issued + (expires - issued) * rng.uniform(0.1, 0.9), self.now)
            rows.append(
                (
                    request_id,
                    user_id,
                    programme.pk,
                    make_serial(request_id, issued.year),
                    name,
                    programme.name,
                    score,
                    issued,
                    expires,
                    status,
                    expires if status == CertificateStatus.EXPIRED else revoked or issued,
                    revoked,
                    REVOCATION_REASON if revoked else "",
                    request_id,  # the status list index: sequential here, random in issuance
                    PLACEHOLDER_PDF,
                    issued,  # notified: nothing for the email sweep to pick up
                )
            )
            self.counts.by_status[status] = self.counts.by_status.get(status, 0) + 1
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
            rows,
            returning_ids=True,
        )
        self.counts.certificates += len(rows)
        # Each suspended certificate has its suspension in force (one open row, as the
        # suspension service writes it), begun some time after issue.
        CertificateSuspension.objects.bulk_create(
            CertificateSuspension(
                certificate_id=certificate_id,
                category=rng.choice(CertificateSuspension.Category.values),
                reason=SUSPENSION_REASON,
                started_at=min(issued + timedelta(days=rng.uniform(1, 300)), self.now),
            )
            for certificate_id, (_, _, _, issued, status, _) in zip(
                certificate_ids, specs, strict=True
            )
            if status == CertificateStatus.SUSPENDED
        )

    # --- Findings, assignments, training ---------------------------------------------------------

    def make_findings(self, users: list[tuple[int, str]]) -> None:
        rng = self.rng
        rows = []
        for user_id, _ in rng.choices(users, k=round(self.n * 0.2)):
            occurred = self.today - timedelta(days=rng.randrange(0, 3 * 365))
            day = datetime.combine(occurred + timedelta(days=rng.randrange(0, 10)), time(9))
            recorded = min(timezone.make_aware(day) + timedelta(hours=rng.uniform(0, 9)), self.now)
            status = weighted(rng, FINDING_STATUSES)
            category = rng.choice(FindingCategory.values)
            decided = status in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED)
            rows.append(
                (
                    user_id,
                    self.firm_of.get(user_id),
                    occurred,
                    rng.choice(FindingSource.values),
                    category,
                    weighted(rng, SEVERITIES),
                    f"压测稽核记录：{FindingCategory(category).label}。",
                    status,
                    recorded,
                    min(recorded + timedelta(days=rng.uniform(1, 20)), self.now)
                    if decided
                    else None,
                )
            )
        ids = bulk.insert(
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
            returning_ids=True,
        )
        bulk.insert(
            Appeal,
            ("finding_id", "appellant_id", "grounds", "filed_at", "status_before"),
            (
                (
                    pk,
                    row[0],
                    "压测申诉：当事人对稽核结论有异议。",
                    min(row[8] + timedelta(days=3), self.now),
                    FindingStatus.CONFIRMED,
                )
                for pk, row in zip(ids, rows, strict=True)
                if row[7] == FindingStatus.APPEALED
            ),
        )
        self.counts.findings = len(rows)

    def make_assignments(self, users: list[tuple[int, str]]) -> None:
        rng = self.rng
        rows = []
        for user_id, _ in users:
            firm_id = self.firm_of.get(user_id)
            if firm_id is None or rng.random() >= 0.25:
                continue
            assigned = self.now - timedelta(days=rng.uniform(10, 200))
            roll = rng.random()
            rows.append(
                (
                    user_id,
                    self.programme.pk,
                    firm_id,
                    assigned,
                    timezone.localdate(assigned) + timedelta(days=rng.randrange(30, 240)),
                    assigned + timedelta(days=rng.uniform(1, 30)) if roll < 0.15 else None,
                    assigned + timedelta(days=5) if 0.15 <= roll < 0.2 else None,
                )
            )
        bulk.insert(
            ProgrammeAssignment,
            (
                "user_id",
                "programme_id",
                "firm_id",
                "assigned_at",
                "due_on",
                "completed_at",
                "cancelled_at",
            ),
            rows,
        )
        self.counts.assignments = len(rows)

    def make_enrolments(self, users: list[tuple[int, str]]) -> None:
        if self.course is None:
            return
        rng = self.rng
        rows = []
        for user_id, _ in users:
            if rng.random() >= 0.5:
                continue
            completed = self.now - timedelta(days=rng.uniform(0, 730))
            rows.append(
                (user_id, self.course.pk, completed - timedelta(days=rng.uniform(1, 30)), completed)
            )
        ids = bulk.insert(
            Enrolment,
            ("user_id", "course_id", "enrolled_at", "completed_at"),
            rows,
            returning_ids=True,
        )
        self.counts.enrolments = len(rows)
        # Their CPD hours (formula 2026.3 reads the ledger), and a trainer's adjustment for one
        # collector in five, some of them debits: the recompute sums entries of either sign.
        zone = timezone.get_current_timezone()
        entries = [
            (
                user_id,
                "course",
                Decimal("1.50"),
                False,
                completed.astimezone(zone).date(),
                pk,
                "",
                None,
                completed,
            )
            for pk, (user_id, _course, _enrolled, completed) in zip(ids, rows, strict=True)
        ]
        trainer = users[0][0]
        for user_id, _ in users:
            if rng.random() < 0.2:
                hours = Decimal(rng.choice(["3.00", "6.00", "-1.50", "12.00"]))
                day = self.today - timedelta(days=rng.randint(0, 500))
                entries.append(
                    (user_id, "adjustment", hours, hours > 0, day, None, "压测", trainer, self.now)
                )
        bulk.insert(
            CPDEntry,
            (
                "user_id",
                "source",
                "hours",
                "offline",
                "earned_on",
                "enrolment_id",
                "reason",
                "created_by_id",
                "created_at",
            ),
            entries,
        )
