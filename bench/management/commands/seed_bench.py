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

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench import seeding
from bench.seeding import CertificateSpec, credit_code, weighted
from courses.models import CoursePage, CPDEntry
from exams.certificates.models import (
    CertificateStatus,
    CertificationProgramme,
    ProgrammeAssignment,
)
from lms.accounts.models import Contract, Firm, FirmKind, FirmStatus, User
from lms.compliance import bulk
from lms.compliance.models import (
    Appeal,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Severity,
)

CHUNK = 10_000  # collectors whose certificates are built at once (bounds memory)
PROGRAMME_CODE = "bench-compliance"
REVOCATION_REASON = "压测：稽核发现违规，证书撤销。"

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
        seeding.refuse_without_debug("seed_bench", force)
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
        return seeding.ensure_programme(
            exam_title="压测结业考试",
            slug=f"bench-exam-{self.seed}",
            name="压测合规催收从业资格",
            code=PROGRAMME_CODE,
        )

    def ensure_course(self) -> CoursePage | None:
        """The course whose completion counts as refresher training."""
        programme = self.programme
        course = programme.refresher_course or programme.required_courses.first()
        if course is None:
            course = CoursePage.objects.order_by("pk").first()
        if course is None:
            course = seeding.publish_course(
                title="压测复训课程", slug=f"bench-course-{self.seed}", summary="压测用复训课程。"
            )
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
        return seeding.insert_collectors(
            self.rng,
            self.n,
            surnames=SURNAMES,
            given=GIVEN,
            email_prefix=f"bench{self.seed}",
            now=self.now,
        )

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
        seeding.insert_memberships(rows)
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
        histories = [
            (user_id, name, number, issued, status, score)
            for user_id, name in users
            for number, (issued, status, score) in enumerate(self.history(), start=1)
        ]
        if not histories:
            return
        specs = []
        for user_id, name, number, issued, status, score in histories:
            expires = programme.expiry_after(issued)
            revoked = None
            if status == CertificateStatus.REVOKED:
                revoked = min(issued + (expires - issued) * rng.uniform(0.1, 0.9), self.now)
            specs.append(
                CertificateSpec(
                    user_id=user_id,
                    name=name,
                    number=number,
                    issued=issued,
                    expires=expires,
                    status=status,
                    score=score,
                    status_changed_at=(
                        expires if status == CertificateStatus.EXPIRED else revoked or issued
                    ),
                    revoked_at=revoked,
                    revocation_reason=REVOCATION_REASON if revoked else "",
                )
            )
            self.counts.by_status[status] = self.counts.by_status.get(status, 0) + 1
        # A suspended certificate's suspension began some time after issue.
        seeding.insert_certificates(
            rng,
            programme,
            specs,
            suspended_since=lambda spec: min(
                spec.issued + timedelta(days=rng.uniform(1, 300)), self.now
            ),
        )
        self.counts.certificates += len(specs)

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
        ids = seeding.insert_findings(rows, returning_ids=True)
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
        ids = seeding.insert_enrolments(rows, returning_ids=True)
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
