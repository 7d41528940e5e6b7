"""``manage.py seed_big_firm``: one lender contracting 20 agencies with 20,000 collectors in all.

Why a command of its own (and not ``seed_bench``): the big-firm benchmark (issue 17, item 4)
needs one *firm manager's* view to be large — a lender whose dashboard, roster, exports and API
reach every collector of the agencies it contracts with — where ``seed_bench`` spreads its
collectors over hundreds of small firms for the rating recompute. Installed only with the test
and benchmark settings (app ``bench``).

What it makes (reproducible for a given ``--seed``):

* a lender (委托方) with a manager and a small in-house team (``--in-house``, 200), and
  ``--agencies`` (20) collection agencies (处置方) under current contracts with it, sized like
  1/rank (the largest holds ~28 % of the staff), each with a manager;
* ``--collectors`` (20,000) collectors with an open membership and employee number, 5 % with
  an ended membership at another agency before;
* for ~92 % a latest certificate of the first active programme (valid, some expiring within
  30/60 days, expired, revoked or suspended), with its passing attempt and completed issuance
  request; an assignment for ~25 % (a third of them overdue), a completed required course for
  about half; a finding for ~10 % in every status;
* ratings from the real engine (``recompute.full``), then eleven months of firm snapshots
  before today's so the coverage chart has a history.

Rows go in through :func:`lms.compliance.bulk.insert` (COPY on PostgreSQL) in one transaction:
20,000 collectors take well under a minute. Nobody can sign in as the invented people (unusable
passwords); the managers get ``--manager-password`` if given. Never for a site people use.
"""

from __future__ import annotations

import random
import time as clock
from argparse import ArgumentParser
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench import seeding
from bench.seeding import CertificateSpec, credit_code, weighted, weighted_row
from courses.models import CoursePage
from exams.certificates.models import (
    CertificateStatus,
    CertificationProgramme,
    ProgrammeAssignment,
)
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
from lms.compliance import bulk, recompute
from lms.compliance.models import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    FirmRating,
    FirmRatingSnapshot,
    Severity,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国文辉力鹏宇浩然晨思雨欣怡子涵"
# Latest certificate's state: (status, share, days to expiry lower, upper).
CERTIFICATES = (
    ("none", 8, 0, 0),
    (CertificateStatus.VALID, 62, 61, 700),
    (CertificateStatus.VALID, 10, 1, 60),  # the "expiring within 30/60 days" filters
    (CertificateStatus.EXPIRED, 12, -300, -1),
    (CertificateStatus.REVOKED, 4, 30, 600),
    (CertificateStatus.SUSPENDED, 4, 30, 600),
)
FINDING_STATUSES = (
    (FindingStatus.CONFIRMED, 55),
    (FindingStatus.DISMISSED, 25),
    (FindingStatus.OPEN, 20),
)


@dataclass
class BigFirm:
    """What was made: the lender, its agencies (largest first) and who manages them."""

    lender: Firm
    agencies: list[Firm]
    lender_manager: User
    agency_managers: list[User]
    sizes: dict[int, int]  # firm id → active collectors
    seconds: float = 0.0


class Command(BaseCommand):
    help = (
        "Generate a lender contracting agencies with many collectors (certificates, findings, "
        "assignments, ratings) for the big-firm benchmark. Refuses to run with DEBUG off unless "
        "--force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--collectors", type=int, default=20_000, help="Agencies' staff.")
        parser.add_argument("--agencies", type=int, default=20, help="Contracted agencies.")
        parser.add_argument("--in-house", type=int, default=200, help="The lender's own staff.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; keeps runs apart.")
        parser.add_argument("--manager-password", default="", help="Managers' password.")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: object, **options) -> None:
        seeding.refuse_without_debug("seed_big_firm", options["force"])
        if options["collectors"] < options["agencies"] or options["agencies"] < 1:
            raise CommandError("Give at least one agency and one collector per agency.")
        made = seed(
            collectors=options["collectors"],
            agencies=options["agencies"],
            in_house=options["in_house"],
            seed_value=options["seed"],
            password=options["manager_password"],
        )
        self.stdout.write(
            f"seed_big_firm: lender {made.lender.name} (manager {made.lender_manager.email}), "
            f"{len(made.agencies)} agencies, {sum(made.sizes.values())} active collectors "
            f"(largest agency {max(made.sizes.values())}) in {made.seconds:.1f} s"
        )


def seed(
    *, collectors: int, agencies: int, in_house: int = 200, seed_value: int = 1, password: str = ""
) -> BigFirm:
    """Make the lender, its agencies and their staff (one transaction), then rate everyone."""
    if User.objects.filter(email__startswith=f"bigfirm{seed_value}-").exists():
        raise CommandError(f"Big-firm data for seed {seed_value} exists already.")
    started = clock.perf_counter()
    with transaction.atomic():
        made = Seeder(collectors, agencies, in_house, seed_value, password).run()
    analyze()
    recompute.full()
    backdate_firm_snapshots([made.lender, *made.agencies])
    analyze()  # the ratings' statistics too, as a database that grew over time would have
    made.seconds = clock.perf_counter() - started
    return made


def analyze() -> None:
    """Fresh statistics and, outside a transaction, a vacuum: the visibility map it sets lets
    the roster's covering index answer alone, as autovacuum would have on a database that grew
    over time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def backdate_firm_snapshots(firms: list[Firm]) -> None:
    """Eleven month-end snapshots before today's, drifting towards the current share."""
    rng = random.Random(len(firms))
    now = timezone.now()
    current = {rating.firm_id: rating for rating in FirmRating.objects.filter(firm__in=firms)}
    rows = []
    for firm in firms:
        rating = current.get(firm.pk)
        if rating is None:
            continue
        for back in range(1, 12):
            share = max(
                Decimal(0), rating.certified_share - Decimal(back * rng.randint(0, 2)) / 100
            )
            rows.append(
                FirmRatingSnapshot(
                    firm=firm,
                    active_collectors=rating.active_collectors,
                    certified_share=share,
                    mean_score=rating.mean_score,
                    grade_counts=rating.grade_counts,
                    formula_version=rating.formula_version,
                    created_at=now - relativedelta(months=back),
                )
            )
    FirmRatingSnapshot.objects.bulk_create(rows)


class Seeder:
    """Builds the data set; one instance per run."""

    def __init__(
        self, collectors: int, agencies: int, in_house: int, seed: int, password: str
    ) -> None:
        self.n, self.agency_count, self.in_house = collectors, agencies, in_house
        self.seed, self.password = seed, password
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def run(self) -> BigFirm:
        self.programme = self.ensure_programme()
        self.course = self.ensure_course()
        lender, agencies = self.make_firms()
        # Agencies sized like 1/rank: a few large, many small.
        weights = [1 / rank for rank in range(1, len(agencies) + 1)]
        sizes = [max(1, round(self.n * w / sum(weights))) for w in weights]
        sizes[0] += self.n - sum(sizes)
        staff: list[tuple[int, int]] = []  # (firm id, how many)
        staff.append((lender.pk, self.in_house))
        staff.extend((firm.pk, size) for firm, size in zip(agencies, sizes, strict=True))
        users = self.make_users(sum(size for _, size in staff))
        firm_of = self.make_memberships(users, staff, [firm.pk for firm in agencies])
        self.make_certificates(users)
        self.make_assignments(users, firm_of)
        self.make_enrolments(users)
        self.make_findings(users, firm_of)
        lender_manager = self.make_manager(lender, "lender")
        agency_managers = [self.make_manager(firm, f"agency{i}") for i, firm in enumerate(agencies)]
        return BigFirm(
            lender=lender,
            agencies=agencies,
            lender_manager=lender_manager,
            agency_managers=agency_managers,
            sizes=dict(staff),
        )

    # --- Programme ---------------------------------------------------------------------------

    def ensure_programme(self) -> CertificationProgramme:
        return seeding.ensure_programme(
            exam_title="大型委托方压测考试",
            slug=f"big-firm-exam-{self.seed}",
            name="大型委托方压测从业资格",
            code=f"big-firm-{self.seed}",
        )

    def ensure_course(self) -> CoursePage | None:
        """A required course of the programme (the roster's progress column counts it)."""
        course = self.programme.required_courses.first()
        if course is not None:
            return course
        course = seeding.publish_course(
            title="大型委托方压测课程",
            slug=f"big-firm-course-{self.seed}",
            summary="压测用必修课程。",
        )
        if course is not None:
            self.programme.required_courses.add(course)
        return course

    # --- Firms and people --------------------------------------------------------------------

    def make_firms(self) -> tuple[Firm, list[Firm]]:
        taken = set(Firm.objects.values_list("credit_code", flat=True))
        serial = 50_000_000 + self.seed * 10_000
        firms = []
        for number in range(self.agency_count + 1):
            serial += 1
            while credit_code(serial) in taken:
                serial += 1
            is_lender = number == 0
            firms.append(
                Firm(
                    name=(
                        f"大型压测消费金融{self.seed}"
                        if is_lender
                        else f"大型压测资产管理{self.seed}-{number:02d}"
                    ),
                    credit_code=credit_code(serial),
                    kind=FirmKind.LENDER if is_lender else FirmKind.AGENCY,
                    status=FirmStatus.ADMITTED,
                    created_at=self.now - timedelta(days=1000),
                )
            )
        firms = Firm.objects.bulk_create(firms)
        lender, agencies = firms[0], firms[1:]
        Contract.objects.bulk_create(
            Contract(lender=lender, agency=agency, starts_on=self.today - timedelta(days=400))
            for agency in agencies
        )
        return lender, agencies

    def make_users(self, count: int) -> list[tuple[int, str]]:
        return seeding.insert_collectors(
            self.rng,
            count,
            surnames=SURNAMES,
            given=GIVEN,
            email_prefix=f"bigfirm{self.seed}",
            now=self.now,
            preferred_language="zh-hans",
        )

    def make_memberships(
        self, users: list[tuple[int, str]], staff: list[tuple[int, int]], agency_ids: list[int]
    ) -> dict[int, int]:
        rng, firm_of = self.rng, {}
        rows: list[tuple[int, int, str, date, date | None]] = []
        people = iter(users)
        for firm_id, size in staff:
            for number in range(size):
                user_id, _ = next(people)
                joined = self.today - timedelta(days=rng.randrange(0, 1100))
                if rng.random() < 0.05:  # worked at another agency before
                    started = joined - timedelta(days=rng.randrange(60, 900))
                    rows.append(
                        (user_id, rng.choice(agency_ids), "", started, joined - timedelta(days=1))
                    )
                rows.append((user_id, firm_id, f"F{firm_id}-{number:05d}", joined, None))
                firm_of[user_id] = firm_id
        seeding.insert_memberships(rows)
        return firm_of

    def make_manager(self, firm: Firm, label: str) -> User:
        user = User.objects.create_user(
            email=f"bigfirm{self.seed}-{label}-manager@example.com",
            password=self.password or None,
            legal_name=f"{firm.name}经理",
            preferred_language="en",
        )
        user.groups.add(Group.objects.get(name=Role.FIRM_MANAGER))
        Membership.objects.create(
            user=user,
            firm=firm,
            role=MembershipRole.MANAGER,
            active_from=self.today - timedelta(days=400),
        )
        return user

    # --- Certificates ------------------------------------------------------------------------

    def make_certificates(self, users: list[tuple[int, str]]) -> None:
        """Each collector's latest certificate (or none), in the states of ``CERTIFICATES``."""
        rng, specs = self.rng, []
        for user_id, name in users:
            status, _share, low, high = weighted_row(rng, CERTIFICATES)
            if status == "none":
                continue
            expires = self.now + timedelta(days=rng.uniform(low, high))
            issued = expires - relativedelta(months=self.programme.validity_months)
            revoked = status == CertificateStatus.REVOKED
            specs.append(
                CertificateSpec(
                    user_id=user_id,
                    name=name,
                    number=1,
                    issued=issued,
                    expires=expires,
                    status=status,
                    score=Decimal(f"{rng.triangular(60, 100, 90):.2f}"),
                    status_changed_at=(
                        min(expires, self.now) if status == CertificateStatus.EXPIRED else issued
                    ),
                    revoked_at=self.now if revoked else None,
                    revocation_reason="压测：稽核发现违规。" if revoked else "",
                )
            )
        seeding.insert_certificates(
            rng,
            self.programme,
            specs,
            suspended_since=lambda spec: self.now - timedelta(days=rng.uniform(1, 30)),
        )

    # --- Assignments, training, findings -----------------------------------------------------

    def make_assignments(self, users: list[tuple[int, str]], firm_of: dict[int, int]) -> None:
        rng, rows = self.rng, []
        for user_id, _ in users:
            if rng.random() >= 0.25:
                continue
            assigned = self.now - timedelta(days=rng.uniform(10, 200))
            overdue = rng.random() < 0.35
            due = self.today + timedelta(days=-rng.randrange(1, 60) if overdue else 30)
            rows.append((user_id, self.programme.pk, firm_of[user_id], assigned, due))
        bulk.insert(
            ProgrammeAssignment,
            ("user_id", "programme_id", "firm_id", "assigned_at", "due_on"),
            rows,
        )

    def make_enrolments(self, users: list[tuple[int, str]]) -> None:
        if self.course is None:
            return
        rng, rows = self.rng, []
        for user_id, _ in users:
            if rng.random() < 0.5:
                completed = self.now - timedelta(days=rng.uniform(0, 700))
                rows.append((user_id, self.course.pk, completed - timedelta(days=10), completed))
        seeding.insert_enrolments(rows)

    def make_findings(self, users: list[tuple[int, str]], firm_of: dict[int, int]) -> None:
        rng, rows = self.rng, []
        for user_id, _ in rng.sample(users, len(users) // 10):
            status = weighted(rng, FINDING_STATUSES)
            recorded = self.now - timedelta(days=rng.uniform(1, 700))
            rows.append(
                (
                    user_id,
                    firm_of[user_id],
                    timezone.localdate(recorded),
                    rng.choice(FindingSource.values),
                    rng.choice(FindingCategory.values),
                    rng.choice(Severity.values),
                    "压测稽核记录。",
                    status,
                    recorded,
                    recorded + timedelta(days=3) if status != FindingStatus.OPEN else None,
                )
            )
        seeding.insert_findings(rows)
