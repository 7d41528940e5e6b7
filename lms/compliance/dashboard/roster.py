"""The firm dashboard's roster: every active collector a viewer may see, with their certificate,
rating, programme progress and overdue assignments.

Why a module of its own: the dashboard page, both exports and the monthly report read the same
roster, so they always agree. The query is set-based: each figure is a correlated subquery or a
join, so a page costs the same few queries for 10 collectors or 10,000 (tested).

The certificate status and expiry are the rating engine's (``CollectorRating``): "valid" means
a valid certificate for *every* required programme, with the earliest expiry; "expired" or
"revoked" that a required certificate lapsed, with its expiry; no rating yet or no certificate
is "not certified". A valid status past its expiry counts as expired even before the nightly
job catches up, so the roster never shows a lapsed certificate as valid.

Programme progress counts the required courses of the active programmes that the collector has
completed, and those programmes' final exams they have passed.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment
from exams.certificates.models import (
    HELD_STATUSES,
    CertificateStatus,
    CertificationProgramme,
    ProgrammeAssignment,
)
from exams.certificates.updates import PendingUpdate, pending_updates_by_holder
from exams.models import Attempt
from lms.accounts.models import Firm, Membership, MembershipRole, User
from lms.accounts.scoping import managed_firm, visible_firm_ids
from lms.compliance import formula
from lms.compliance.models import CollectorRating, Grade
from lms.lib.masking import mask_name, mask_phone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class _RosterFigures(TypedDict):
    """What base_roster annotates each membership with."""

    certificate_state: str
    certificate_expires_at: datetime | None
    score: Decimal | None
    grade: str | None
    courses_done: int
    exams_passed: int
    overdue_assignments: int


type RosterMembership = WithAnnotations[Membership, _RosterFigures]
# The annotations of with_figures: one correlated subquery per row each.
FIGURES = frozenset({"courses_done", "exams_passed", "overdue_assignments"})

NO_CERTIFICATE = "none"
NOT_REQUIRED = formula.NOTHING_REQUIRED
NOT_RATED = "none"
CERTIFICATE_STATES = {
    CertificateStatus.VALID.value: _("Valid"),
    CertificateStatus.EXPIRED.value: _("Expired"),
    CertificateStatus.REVOKED.value: _("Revoked"),
    # Not valid, but reversible (a missed legal update, or a critical finding being decided).
    CertificateStatus.SUSPENDED.value: _("Suspended"),
    NO_CERTIFICATE: _("Not certified"),
    NOT_REQUIRED: _("None required"),
}
# The states that count as certified (as in the rating formula and the firm's rating).
CERTIFIED_STATES = (CertificateStatus.VALID.value, NOT_REQUIRED)
SORTS = {
    "name": _("Name"),
    "grade": _("Grade (best first)"),
    "-grade": _("Grade (worst first)"),
    "expiry": _("Certificate expiry (soonest first)"),
}


@dataclass(frozen=True)
class Scope:
    """Whose staff a viewer sees, and how much of them.

    ``own_firm`` is the viewer's firm: its collectors appear with their full legal names. The
    other ``firms`` (agencies a lender currently contracts with) appear with masked names.
    """

    own_firm: Firm
    firms: tuple[Firm, ...]

    @property
    def firm_ids(self) -> list[int]:
        return [firm.pk for firm in self.firms]

    def firm(self, pk: int) -> Firm | None:
        return next((firm for firm in self.firms if firm.pk == pk), None)

    def shows_full_name(self, firm_id: int) -> bool:
        return firm_id == self.own_firm.pk


def manager_scope(user, on=None) -> Scope | None:
    """The scope of a firm manager (``None`` for anyone else). Three queries at most."""
    own = managed_firm(user, on)
    if own is None:
        return None
    others = visible_firm_ids(own, on) - {own.pk}
    agencies = tuple(Firm.objects.filter(pk__in=others).order_by("name")) if others else ()
    return Scope(own_firm=own, firms=(own, *agencies))


def firm_scope(firm: Firm) -> Scope:
    """A firm's own staff only (the monthly report)."""
    return Scope(own_firm=firm, firms=(firm,))


@dataclass(frozen=True)
class Requirements:
    """The required courses and final exams of the active certification programmes."""

    course_ids: frozenset[int]
    exam_ids: frozenset[int]


def requirements() -> Requirements:
    """One query over the active programmes and their required courses."""
    rows = CertificationProgramme.objects.filter(is_active=True).values_list(
        "final_exam_id", "required_courses"
    )
    courses: set[int] = set()
    exams: set[int] = set()
    for exam_id, course_id in rows:
        exams.add(exam_id)
        if course_id is not None:
            courses.add(course_id)
    return Requirements(frozenset(courses), frozenset(exams))


@dataclass(frozen=True)
class RosterFilters:
    """What the viewer asked for; every field is optional."""

    firm_id: int | None = None
    grade: str = ""  # a Grade value, or NOT_RATED
    certificate: str = ""  # a key of CERTIFICATE_STATES
    expiring_within: int | None = None  # days
    overdue_only: bool = False
    search: str = ""
    sort: str = "name"


def _count(queryset: QuerySet, counted: str = "pk", distinct: bool = False) -> Coalesce:
    """A correlated COUNT of ``queryset`` (already filtered on the outer row), 0 when empty."""
    grouped = (
        queryset.order_by()
        .values("user_id")
        .annotate(n=Count(counted, distinct=distinct))
        .values("n")[:1]
    )
    return Coalesce(Subquery(grouped, output_field=IntegerField()), Value(0))


def scoped_roster(
    scope: Scope, *, firm_ids: list[int] | None = None, on=None
) -> QuerySet[RosterMembership]:
    """Active collector memberships in the scope with their rating's columns: joins only.

    Why apart from :func:`base_roster`: filtering, counting, ordering and paging touch every
    collector of the scope (20,000 for a lender with 20 agencies), and a correlated subquery
    per row costs PostgreSQL tens of microseconds each, i.e. over a second for such a roster.
    Everything that reads the whole roster goes through this query; only the rows that are
    shown get the per-collector figures (:func:`with_figures`).
    """
    today = on or timezone.localdate()
    return (
        Membership.objects.active(today)
        .filter(
            role=MembershipRole.COLLECTOR,
            firm_id__in=scope.firm_ids if firm_ids is None else firm_ids,
            user__is_active=True,
        )
        .select_related("user", "firm")
        .annotate(**rating_columns(timezone.now()))
    )


def rating_columns(now: datetime) -> dict:
    """The current rating's columns and the certificate state derived from them (a valid or
    suspended status past its expiry is already expired), as annotations on memberships."""
    return {
        "grade": F("user__rating__grade"),
        "score": F("user__rating__score"),
        "certificate_status": F("user__rating__certificate_status"),
        "certificate_expires_at": F("user__rating__certificate_expires_at"),
        "certificate_state": Case(
            When(
                Q(certificate_status__isnull=True) | Q(certificate_status=""),
                then=Value(NO_CERTIFICATE),
            ),
            When(
                certificate_status__in=HELD_STATUSES,
                certificate_expires_at__lte=now,
                then=Value(CertificateStatus.EXPIRED.value),
            ),
            default=F("certificate_status"),
            output_field=CharField(),
        ),
    }


def with_figures(
    roster: QuerySet[Membership], *, needs: Requirements, on=None
) -> QuerySet[RosterMembership]:
    """``roster`` with each collector's programme progress and overdue assignments (one
    correlated subquery each: use it on the rows to show, not to filter a whole roster)."""
    today = on or timezone.localdate()
    user = OuterRef("user_id")
    courses_done: Coalesce | Value
    exams_passed: Coalesce | Value
    if needs.course_ids:
        courses_done = _count(
            Enrolment.objects.filter(
                user_id=user, course_id__in=needs.course_ids, completed_at__isnull=False
            )
        )
    else:
        courses_done = Value(0)
    if needs.exam_ids:
        exams_passed = _count(
            Attempt.objects.filter(user_id=user, exam_id__in=needs.exam_ids, passed=True),
            "exam_id",
            distinct=True,
        )
    else:
        exams_passed = Value(0)
    # The stubs type only what this annotate adds; scoped_roster added the rest.
    return cast(
        "QuerySet[RosterMembership]",
        roster.annotate(
            courses_done=courses_done,
            exams_passed=exams_passed,
            overdue_assignments=_count(
                ProgrammeAssignment.objects.overdue(today).filter(user_id=user)
            ),
        ),
    )


def base_roster(
    scope: Scope, *, needs: Requirements, firm_ids: list[int] | None = None, on=None
) -> QuerySet[RosterMembership]:
    """Active collector memberships in the scope, each annotated with the roster's figures."""
    return with_figures(scoped_roster(scope, firm_ids=firm_ids, on=on), needs=needs, on=on)


def page_rows(
    page_ids: QuerySet | list[int],
    scope: Scope,
    *,
    needs: Requirements,
    sort: str = "name",
    on=None,
) -> QuerySet[RosterMembership]:
    """The memberships of one page, with their figures, in the page's order.

    ``page_ids`` is a slice of the filtered, ordered :func:`scoped_roster` (its ``pk``), or a
    list of ids: the database picks the page with joins only, then computes the figures for
    those rows alone (one query: the slice is a subquery), so the last page costs what the
    first does.
    """
    roster = scoped_roster(scope, on=on).filter(pk__in=page_ids)
    return with_figures(roster, needs=needs, on=on).order_by(*_ordering(sort))


def certificate_state_is(state: str, now: datetime) -> Q:
    """``certificate_state == state`` (:func:`rating_columns`' CASE) as plain conditions on the
    rating's columns. Why: PostgreSQL cannot estimate a condition on a CASE (it guesses a
    fraction of a percent), and for a big roster's "valid" filter it then joins some 15,000
    rows in a nested loop; the columns' statistics lead it to hash joins. The same cases: the
    stored status, except that a held status past its expiry is expired, and no status is
    "not certified"."""
    lapsed = Q(certificate_status__in=HELD_STATUSES, certificate_expires_at__lte=now)
    condition = Q(certificate_status=state)
    if state in HELD_STATUSES:
        condition &= Q(certificate_expires_at__isnull=True) | Q(certificate_expires_at__gt=now)
    if state == CertificateStatus.EXPIRED:
        condition |= lapsed
    if state == NO_CERTIFICATE:
        condition |= Q(certificate_status__isnull=True) | Q(certificate_status="")
    return condition


def certificate_state_of(rating: CollectorRating | None, now: datetime | None = None) -> str:
    """One collector's certificate state, as :func:`base_roster` computes it in SQL (the staff
    list shows it too): a valid or suspended status past its expiry is already expired."""
    if rating is None or not rating.certificate_status:
        return NO_CERTIFICATE
    expires = rating.certificate_expires_at
    if (
        rating.certificate_status in HELD_STATUSES
        and expires
        and expires <= (now or timezone.now())
    ):
        return CertificateStatus.EXPIRED.value
    return rating.certificate_status


def apply_filters(
    roster: QuerySet[RosterMembership], filters: RosterFilters, scope: Scope
) -> QuerySet[RosterMembership]:
    """Narrow and order the roster as the viewer asked."""
    return roster.filter(filter_condition(filters, scope)).order_by(*_ordering(filters.sort))


def filter_condition(filters: RosterFilters, scope: Scope) -> Q:
    """The viewer's filters as one condition on :func:`scoped_roster`'s rows (so the summary
    can count the matching rows in its own query, see :func:`summarise`)."""
    condition = Q()
    if filters.firm_id is not None:
        condition &= Q(firm_id=filters.firm_id)
    if filters.grade == NOT_RATED:
        condition &= Q(grade__isnull=True)
    elif filters.grade in Grade.values:
        condition &= Q(grade=filters.grade)
    now = timezone.now()
    if filters.certificate in CERTIFICATE_STATES:
        condition &= certificate_state_is(filters.certificate, now)
    if filters.expiring_within:
        condition &= certificate_state_is(CertificateStatus.VALID, now) & Q(
            certificate_expires_at__lte=now + timedelta(days=filters.expiring_within)
        )
    if filters.overdue_only:
        # An uncorrelated IN: PostgreSQL hashes the overdue collectors once (a correlated count
        # or EXISTS inside a FILTER would run once per collector).
        overdue = ProgrammeAssignment.objects.overdue(timezone.localdate())
        condition &= Q(user_id__in=overdue.values("user_id"))
    if filters.search:
        # Names are searched only where the viewer sees them: searching an agency's staff by
        # name would let a lender confirm who works there, which masking is meant to prevent.
        condition &= Q(employee_number__icontains=filters.search) | Q(
            firm_id=scope.own_firm.pk, user__legal_name__icontains=filters.search
        )
    return condition


def _ordering(sort: str) -> list:
    name = ["user__legal_name", "user__email", "pk"]
    # The grade sorts compare every collector of the roster to pick a page, so their keys are
    # numbers in the same order: the grade letters' rank (a collation-aware string comparison
    # costs several times an integer's) and the score as a double (exact for numeric(5, 2)).
    grade = Case(
        *(When(grade=letter, then=Value(rank)) for rank, letter in enumerate(Grade.values)),
        output_field=IntegerField(),
    )
    score = Cast("score", FloatField())
    if sort == "grade":
        return [grade.asc(nulls_last=True), score.desc(nulls_last=True), *name]
    if sort == "-grade":
        return [grade.desc(nulls_last=True), score.asc(nulls_last=True), *name]
    if sort == "expiry":
        return [F("certificate_expires_at").asc(nulls_last=True), *name]
    return name


@dataclass(frozen=True)
class RosterRow:
    """One collector as the viewer may see them: the name masked outside their own firm, the
    phone always masked."""

    user: User
    name: StrOrPromise
    name_is_masked: bool
    employee_number: str
    firm: Firm
    phone: str
    certificate_state: str
    certificate_expires_at: datetime | None
    score: Decimal | None
    grade: str | None
    courses_done: int
    courses_required: int
    exams_passed: int
    exams_required: int
    overdue_assignments: int
    # A legal update still to complete ("需更新 — 截止 <date>"), set by with_pending_updates.
    update: PendingUpdate | None = None

    @property
    def certificate_label(self) -> str:
        return str(CERTIFICATE_STATES.get(self.certificate_state, self.certificate_state))

    @cached_property  # the roster's template asks up to four times per row
    def days_to_expiry(self) -> int | None:
        if self.certificate_state != CertificateStatus.VALID or not self.certificate_expires_at:
            return None
        local_expiry = timezone.localtime(self.certificate_expires_at).date()
        return (local_expiry - timezone.localdate()).days

    @property
    def programme_complete(self) -> bool:
        return (
            self.courses_done >= self.courses_required and self.exams_passed >= self.exams_required
        )


def to_row(membership: RosterMembership, scope: Scope, needs: Requirements) -> RosterRow:
    user = membership.user
    full = scope.shows_full_name(membership.firm_id)
    name = user.legal_name or user.email
    return RosterRow(
        user=user,
        name=name if full else mask_name(user.legal_name) or _("(no name)"),
        name_is_masked=not full,
        employee_number=membership.employee_number,
        firm=membership.firm,
        phone=mask_phone(user.phone),
        certificate_state=membership.certificate_state,
        certificate_expires_at=membership.certificate_expires_at,
        score=membership.score,
        grade=membership.grade,
        courses_done=membership.courses_done,
        courses_required=len(needs.course_ids),
        exams_passed=membership.exams_passed,
        exams_required=len(needs.exam_ids),
        overdue_assignments=membership.overdue_assignments,
    )


def with_pending_updates(rows: list[RosterRow]) -> list[RosterRow]:
    """The rows with each collector's pending legal update, if any (a few queries per page)."""
    due = pending_updates_by_holder([row.user.pk for row in rows])
    return [replace(row, update=due.get(row.user.pk)) for row in rows]


@dataclass(frozen=True)
class Summary:
    """Headline figures over a roster (before the viewer's filters narrow it)."""

    active: int
    certified: int
    mean_score: Decimal | None
    expiring_30: int
    expiring_60: int
    overdue_assignments: int
    collectors_overdue: int
    grade_counts: dict[str, int]  # "A".."D" and NOT_RATED
    matching: int = 0  # rows matching the viewer's filters (summarise's ``matching``)

    @property
    def certified_share(self) -> float:
        return self.certified / self.active if self.active else 0.0

    @property
    def certified_percent(self) -> int:
        return round(100 * self.certified_share)


# Wider than any collector's count of overdue assignments (one open assignment per programme):
# summarise adds each collector's count once with SUM(DISTINCT collector * SPREAD + count).
_SPREAD = 1 << 20
_OVERDUE = "overdue.collector IS NOT NULL"


def summarise(roster: QuerySet[RosterMembership], matching: Q | None = None) -> Summary:
    """The headline figures in one aggregate query over the roster's joins, whatever its size.

    The overdue assignments are a LEFT JOIN of each collector's count of them (a small grouped
    subquery), so the scope is scanned once: a semi-join from the assignments to the roster
    would scan it a second time (the planner hashes the whole roster for it). A collector with
    two memberships in the scope has two rows but counts once: ``collectors_overdue`` counts
    distinct collectors, and their assignments are summed over distinct ``(collector, count)``
    pairs, spread apart so that no two collectors' pairs add up alike. Django cannot join a
    grouped subquery, so the outer query is written here around the ORM's compiled SQL.

    ``matching`` (a :func:`filter_condition`): also count the rows it selects, in the same
    scan, so the roster's pager needs no COUNT of its own."""
    now = timezone.now()
    valid = Q(certificate_state=CertificateStatus.VALID)
    members: QuerySet[Any] = roster.order_by()
    if FIGURES & set(roster.query.annotations):
        # Only the rating's columns: aggregating over the figures' subqueries would run them
        # for every collector.
        members = Membership.objects.filter(pk__in=members.values("pk")).annotate(
            **rating_columns(now)
        )
    flags = {
        "certified": Q(certificate_state__in=CERTIFIED_STATES),
        "expiring_30": valid & Q(certificate_expires_at__lte=now + timedelta(days=30)),
        "expiring_60": valid & Q(certificate_expires_at__lte=now + timedelta(days=60)),
        "matches": matching if matching else None,
    }
    rows = members.annotate(
        collector=F("user_id"),
        **{
            name: Value(True) if condition is None else _flag(condition)
            for name, condition in flags.items()
        },
    ).values("collector", "grade", "score", *flags)
    overdue = (
        ProgrammeAssignment.objects.overdue(timezone.localdate())
        .order_by()
        .values(collector=F("user_id"))
        .annotate(assignments=Count("pk"))
    )
    roster_sql, roster_params = rows.query.get_compiler(rows.db).as_sql()
    overdue_sql, overdue_params = overdue.query.get_compiler(rows.db).as_sql()
    grades = ", ".join("COUNT(*) FILTER (WHERE roster.grade = %s)" for _grade in Grade.values)
    sql = (
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE roster.certified), AVG(roster.score), "
        "COUNT(*) FILTER (WHERE roster.expiring_30), COUNT(*) FILTER (WHERE roster.expiring_60), "
        "COUNT(*) FILTER (WHERE roster.grade IS NULL), COUNT(*) FILTER (WHERE roster.matches), "
        # The filter spares the DISTINCT aggregates' sorts the collectors with nothing overdue.
        f"COUNT(DISTINCT overdue.collector) FILTER (WHERE {_OVERDUE}), "
        f"SUM(DISTINCT overdue.collector) FILTER (WHERE {_OVERDUE}), "
        f"SUM(DISTINCT overdue.collector * {_SPREAD} + overdue.assignments) "
        f"FILTER (WHERE {_OVERDUE}), {grades} "
        f"FROM ({roster_sql}) roster LEFT JOIN ({overdue_sql}) overdue "
        "ON overdue.collector = roster.collector"
    )
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, [*Grade.values, *roster_params, *overdue_params])
        row = cursor.fetchone()
    (active, certified, mean, expiring_30, expiring_60, not_rated, matches) = row[:7]
    collectors_overdue, collector_sum, spread_sum = row[7:10]
    counts = dict(zip(Grade.values, row[10:], strict=True))
    counts[NOT_RATED] = not_rated
    return Summary(
        active=active,
        certified=certified,
        mean_score=_mean(mean),
        expiring_30=expiring_30,
        expiring_60=expiring_60,
        overdue_assignments=int(spread_sum or 0) - _SPREAD * int(collector_sum or 0),
        collectors_overdue=collectors_overdue,
        grade_counts=counts,
        matching=matches,
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _mean(value: Decimal | float | None) -> Decimal | None:
    """The mean score to one decimal. SQLite answers a float: it is read as Django's SQLite
    backend reads a decimal aggregate (15 significant digits), so both backends agree."""
    if value is None:
        return None
    if isinstance(value, float):
        value = decimal.Context(prec=15).create_decimal_from_float(value)
    return Decimal(value).quantize(Decimal("0.1"))
