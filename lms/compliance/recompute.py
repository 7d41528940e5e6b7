"""Recomputing compliance ratings, set-based: a fixed number of queries per chunk of collectors.

The full recompute first asks one query which collectors are due (:mod:`.fingerprints`):
those not rated yet, those whose inputs' fingerprint differs from the one stored with their
rating, those rated by another formula version, and those whose recheck time (the first moment
the date alone may change their rating, :class:`_Recheck`) has come. The others are skipped:
nothing is read or written for them.

For each chunk of (at most :data:`CHUNK_SIZE`) due collectors, six aggregate queries gather
every input the formula needs — collector memberships, certificates per collector ×
programme, open assignments, CPD hours of the last 365 days, confirmed findings, current
ratings — then the formula (:mod:`lms.compliance.formula`) runs in Python and only what
changed is written:

* a rating *changes* when its score, grade or formula version differs from the current one (or
  there is none yet): the current row is upserted and a :class:`RatingSnapshot` appended, with
  the reason, the inputs and the breakdown;
* when only what surrounds the score moved (the collector changed firm, a certificate was
  renewed at the same score, the inputs differ without changing the result, the fingerprint or
  the recheck time moved), the current row is refreshed but no snapshot is written: history
  records changes of rating.

Firm ratings follow from the collectors' current ratings in one aggregate query (plus one for
findings), with a :class:`FirmRatingSnapshot` whenever a firm's figures change. A firm may be
flagged for review; its status is never touched.

Each chunk is one transaction holding an advisory lock (on PostgreSQL), so an event-driven
recompute and the nightly one never interleave: whichever comes second reads what the first
wrote and writes nothing twice. A transaction that writes snapshots appends one
``rating.snapshots_written`` event to the audit log, last: the snapshots' ids (references, not a
copy of the scores), the collectors (or firms) rated, the formula version and the reason. After
each chunk commits, ``signals.ratings_changed`` is sent once with the chunk's changes (see
``lms/compliance/signals.py``).

Who is rated: every user with an active collector membership, every user in the Collectors group
with a certificate or a finding, and everyone already rated (so a collector who leaves their firm
is re-rated with no firm rather than left on the old firm's roster).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_start
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from courses.models import CPDEntry
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificationProgramme,
    ProgrammeAssignment,
)
from lms.accounts.models import Membership, MembershipRole, User
from lms.accounts.roles import Role
from lms.auditlog import chain
from lms.lib.sql import bigint_array

from . import bulk, fingerprints, formula, parallel, signals
from .models import (
    CollectorRating,
    Finding,
    FindingStatus,
    FirmRating,
    FirmRatingSnapshot,
    RatingSnapshot,
)

logger = logging.getLogger(__name__)
_ONE_DAY = timedelta(days=1)

CHUNK_SIZE = 5000  # collectors per transaction: bounds memory; queries grow with chunks only
LOCK_KEY = 0x5241_5445  # pg_advisory_xact_lock key ("RATE"): one recompute writes at a time
FULL_RUN_LOCK_KEY = 0x5241_5446  # pg_advisory_lock key: one full run at a time

FIRM_FIELDS = (
    "active_collectors",
    "certified_share",
    "mean_score",
    "findings_per_100",
    "grade_counts",
    "flagged",
    "flag_reasons",
    "formula_version",
)

# Column order of the current ratings written (see bulk.py); JSON columns go as text.
RATING_FIELDS = (
    "user",
    "firm",
    "score",
    "grade",
    "formula_version",
    "components",
    "inputs",
    "certificate_status",
    "certificate_expires_at",
    "computed_at",
    "changed_at",
    "input_fingerprint",
    "recheck_at",
)


def _encode(data: Any) -> str:
    """Compact JSON in insertion order (orjson: the components of every rating, every night)."""
    return orjson.dumps(data).decode()


# Snapshot reasons written by the engine (free text is allowed too, e.g. from the command).
NIGHTLY = "nightly"
MANUAL = "manual"


class RatingChange(NamedTuple):
    """One collector's rating changed (sent in ``signals.ratings_changed``); plain values only,
    so receivers can fan out without loading a model per collector (a named tuple: a million
    are built on the first night)."""

    user_id: int
    firm_id: int | None
    snapshot_id: int
    score: Decimal
    grade: str
    previous_score: Decimal | None
    previous_grade: str | None
    formula_version: str
    reason: str
    changed_at: datetime


@dataclass
class Outcome:
    """What a recompute did (the command prints it)."""

    collectors: int = 0
    changed: int = 0
    refreshed: int = 0
    skipped: int = 0  # inputs and formula as at their last rating, no recheck due: not read
    firms: int = 0
    firms_changed: int = 0
    firms_flagged: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Programme:
    pk: int
    code: str
    name: str


class _Current(NamedTuple):
    score: Decimal
    grade: str
    formula_version: str
    firm_id: int | None
    certificate_status: str
    certificate_expires_at: datetime | None
    digest: str | None
    changed_at: datetime
    input_fingerprint: int | None
    recheck_at: datetime | None


# --- Entry points -------------------------------------------------------------------------------


def full(
    now: datetime | None = None,
    reason: str = NIGHTLY,
    chunk_size: int = CHUNK_SIZE,
    processes: int | None = None,
) -> Outcome:
    """Recompute every collector's rating and every firm's; returns what changed.

    Collectors whose inputs have the fingerprint stored with their rating, rated by the same
    formula and with no recheck due (see :mod:`lms.compliance.fingerprints`), are skipped
    without reading their inputs: the formula would give them what they already have.

    ``processes`` (default: the ``RATING_RECOMPUTE_PROCESSES`` setting) rate chunks side by side
    in that many worker processes, each with its own database connection (:mod:`.parallel`):
    on PostgreSQL only, and only outside a transaction, since the workers must see what is
    committed. One full run at a time: a second one waits for the first, then finds (nearly)
    everyone up to date."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localdate(now)
    workers = parallel.usable(
        settings.RATING_RECOMPUTE_PROCESSES if processes is None else processes
    )
    with parallel.pool(workers, rate_full_chunk) as rate_all, _one_full_run():
        programmes = _required_programmes()
        salt = _salt(programmes)
        due = fingerprints.due(salt, formula.FORMULA_VERSION, today, now)
        due = _drop_orphans(due)
        rated = CollectorRating.objects.count()
        new = sum(1 for _, _, is_new in due if is_new)
        outcome = Outcome(collectors=rated + new, skipped=rated + new - len(due))
        prints = {pk: fingerprint for pk, fingerprint, _ in due}
        ids = [pk for pk, _, _ in due]
        del due
        jobs = (
            _FullChunk(
                chunk, {pk: prints[pk] for pk in chunk}, programmes, now, today, reason, salt
            )
            for chunk in _chunks(ids, chunk_size)
        )
        for changed, refreshed in rate_all(jobs):
            outcome.changed += changed
            outcome.refreshed += refreshed
        _rate_firms(None, today, now, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _drop_orphans(due: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``due`` less the ratings of users who no longer exist, which are deleted. Django deletes
    a user's rating with the user, but the database does not enforce it (see
    ``CollectorRating``): a user deleted by hand in SQL would leave a rating behind. Such a user
    has no input row left (those references are enforced), so :func:`fingerprints.due` lists
    every rated user without one, and only those few are looked up here."""
    candidates = [pk for pk, fingerprint, is_new in due if not is_new and not fingerprint]
    if not candidates:
        return due
    existing = set(User.objects.filter(pk__in=candidates).values_list("pk", flat=True))
    gone = [pk for pk in candidates if pk not in existing]
    if not gone:
        return due
    CollectorRating.objects.filter(user_id__in=gone).delete()
    logger.warning("deleted the ratings of %d users that no longer exist", len(gone))
    dropped = set(gone)
    return [row for row in due if row[0] not in dropped]


@dataclass(frozen=True)
class _FullChunk:
    """One chunk of a full run: what a worker process needs to rate it (picklable)."""

    ids: list[int]
    prints: dict[int, int]
    programmes: list[_Programme]
    now: datetime
    today: date
    reason: str
    salt: str


def rate_full_chunk(job: _FullChunk) -> tuple[int, int]:
    """Rate one chunk of a full run, in this process or a worker's; returns (changed,
    refreshed)."""
    ids = job.ids
    lo, hi = ids[0], ids[-1]
    # A dense chunk (the first run, a new formula) reads an id range: index range scans, no
    # parameter lists of thousands of ids; a sparse one (a few changed here and there) reads
    # its ids only.
    dense = hi - lo < 2 * len(ids)
    outcome = Outcome()
    _rate_chunk(
        ids,
        partial(_id_between, lo=lo, hi=hi) if dense else partial(_id_in, ids=ids),
        job.programmes,
        job.now,
        job.today,
        job.reason,
        outcome,
        relaxed=True,
        prints=job.prints,
        salt=job.salt,
    )
    return outcome.changed, outcome.refreshed


@contextmanager
def _one_full_run() -> Iterator[None]:
    """Hold the full-run lock (PostgreSQL, session level) while this run lasts: its chunks then
    share the rating lock with each other only (see :func:`_lock`)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [FULL_RUN_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [FULL_RUN_LOCK_KEY])


def for_users(
    user_ids: Iterable[int],
    reason: str,
    now: datetime | None = None,
    firm_ids: Iterable[int] = (),
) -> Outcome:
    """Recompute the given collectors (others are ignored) and the firms they touch: their
    current and previous firm, plus ``firm_ids`` (e.g. the firm a dismissed finding counted
    against)."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted = sorted({int(pk) for pk in user_ids})
    outcome = Outcome()
    firms = {int(pk) for pk in firm_ids if pk is not None}
    if wanted:
        programmes = _required_programmes()
        ids = _population(today, wanted)
        outcome.collectors = len(ids)
        for chunk in _chunks(ids, CHUNK_SIZE):
            firms |= _rate_chunk(
                chunk,
                partial(_id_in, ids=chunk),
                programmes,
                now,
                today,
                reason,
                outcome,
                salt=_salt(programmes),
            )
    if firms:
        _rate_firms(firms, today, now, outcome)
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- Collectors ---------------------------------------------------------------------------------


def _salt(programmes: list[_Programme]) -> str:
    return fingerprints.salt(formula.FORMULA_VERSION, [(p.pk, p.code, p.name) for p in programmes])


def _required_programmes() -> list[_Programme]:
    """Every active programme: the collection platform requires each of every collector."""
    return [
        _Programme(*row)
        for row in CertificationProgramme.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "code", "name")
    ]


def _population(today: date, restrict: list[int] | None = None) -> list[int]:
    """Ids of everyone to rate (see the module docstring), sorted. One query."""
    collectors = Membership.objects.active(today).filter(role=MembershipRole.COLLECTOR)
    grouped = User.objects.filter(groups__name=Role.COLLECTOR).filter(
        Exists(Certificate.objects.filter(holder=OuterRef("pk")))
        | Exists(Finding.objects.filter(collector=OuterRef("pk")))
    )
    rated = CollectorRating.objects.all()
    if restrict is not None:
        collectors = collectors.filter(user_id__in=restrict)
        grouped = grouped.filter(pk__in=restrict)
        rated = rated.filter(user_id__in=restrict)
    union = (
        collectors.order_by()
        .values_list("user_id")
        .union(grouped.order_by().values_list("pk"), rated.order_by().values_list("user_id"))
        .order_by()  # the union would inherit Membership's default ordering otherwise
    )
    return sorted({row[0] for row in union})


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _lock(relaxed: bool = False) -> None:
    """Serialise recomputes (PostgreSQL); released when the transaction ends.

    ``relaxed``: a chunk of the full run. It takes the lock shared, so the run's chunks may be
    rated side by side (they hold disjoint collectors, and :func:`_one_full_run` keeps other full
    runs out), while an event-driven recompute or the firms' takes it exclusively and so never
    interleaves with a chunk. A full-run chunk also commits without waiting for its WAL to
    reach disk: ratings are derived data, so a server crash can lose at most the last moments
    of a full recompute, which the next run redoes; it never corrupts anything, and it saves a
    disk flush per chunk. Event-driven recomputes commit durably.
    """
    if connection.vendor == "postgresql":
        if relaxed:
            sql = (
                "SELECT pg_advisory_xact_lock_shared(%s), "
                "set_config('synchronous_commit', 'off', true)"
            )
        else:
            sql = "SELECT pg_advisory_xact_lock(%s)"
        with connection.cursor() as cursor:
            cursor.execute(sql, [LOCK_KEY])
            if relaxed:
                # Check foreign keys as rows are written rather than at commit: the audit
                # event, last, holds the chain's lock until commit, and a chunk's thousands of
                # deferred checks would hold it for every other chunk too.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _id_between(column: str, *, lo: int, hi: int) -> Q:
    return Q(**{f"{column}__gte": lo, f"{column}__lte": hi})


def _id_in(column: str, *, ids: list[int]) -> Q:
    return Q(**{f"{column}__in": ids})


def _rate_chunk(
    ids: list[int],
    where: Callable[[str], Q],
    programmes: list[_Programme],
    now: datetime,
    today: date,
    reason: str,
    outcome: Outcome,
    relaxed: bool = False,
    *,
    salt: str,
    prints: Mapping[int, int] | None = None,
) -> set[int]:
    """Rate one chunk of collectors in one transaction; returns the firms whose collectors'
    ratings were written (before and after). ``prints``: their input fingerprints, when the
    caller has them (read before this transaction: an input changed since only makes the next
    run rate them again)."""
    touched: set[int] = set()
    with transaction.atomic():
        _lock(relaxed)
        if prints is None:
            prints = fingerprints.of(ids, salt, today)
        firms, membership_turns = _memberships(where("user_id"), today)
        standings, flips = _standings(where("holder_id"), programmes, now)
        overdue, falling_due = _overdue(where("user_id"), today)
        cpd_hours, cpd_turns = _cpd_hours(where("user_id"), today)
        findings = _findings(where("collector_id"), today)
        current = _current(where("user_id"))
        recheck = _Recheck(today, flips, (membership_turns, falling_due, cpd_turns), findings)

        never = tuple(formula.ProgrammeStanding(p.code, p.name, None) for p in programmes)
        version = formula.FORMULA_VERSION
        reason = reason[:200]
        ratings: list[tuple] = []  # rows for rating_store, in its field order
        changed_rows: list[tuple] = []  # what the signal reports, once snapshot ids are known
        for user_id in ids:
            inputs = formula.CollectorInputs(
                today=today,
                programmes=standings.get(user_id, never),
                overdue_assignments=overdue.get(user_id, 0),
                cpd_hours=cpd_hours.get(user_id, formula.ZERO),
                findings=findings.get(user_id, ()),
            )
            result = formula.rate_collector(inputs)
            inputs_text, digest = inputs.as_json_text()
            firm_id = firms.get(user_id)
            before = current.get(user_id)
            fingerprint = prints.get(user_id, 0)
            recheck_at = recheck.at(user_id, inputs.programmes)
            changed = (
                before is None
                or before.score != result.score
                or before.grade != result.grade
                or before.formula_version != version
            )
            if (
                not changed
                and before is not None
                and (
                    before.firm_id,
                    before.certificate_status,
                    before.certificate_expires_at,
                    before.digest,
                    before.input_fingerprint,
                    before.recheck_at,
                )
                == (
                    firm_id,
                    result.certificate_status,
                    result.certificate_expires_at,
                    digest,
                    fingerprint,
                    recheck_at,
                )
            ):
                continue
            components = _encode(result.components)
            ratings.append(
                (
                    user_id,
                    firm_id,
                    result.score,
                    result.grade,
                    version,
                    components,
                    inputs_text,
                    result.certificate_status,
                    result.certificate_expires_at,
                    now,
                    now if changed or before is None else before.changed_at,
                    fingerprint,
                    recheck_at,
                )
            )
            if firm_id:
                touched.add(firm_id)
            if before is not None and before.firm_id:
                touched.add(before.firm_id)
            if changed:
                changed_rows.append((user_id, firm_id, result.score, result.grade, before))
        # First ratings go straight in; existing ones are replaced (the lock keeps both true).
        bulk.insert(
            CollectorRating, RATING_FIELDS, [row for row in ratings if row[0] not in current]
        )
        bulk.upsert(
            CollectorRating,
            RATING_FIELDS,
            [row for row in ratings if row[0] in current],
            conflict="user",
        )
        snapshot_ids = _snapshot([row[0] for row in changed_rows], reason, now)
        if changed_rows:
            _audit_collectors(changed_rows, snapshot_ids, version, reason)
            changes = [
                RatingChange(
                    user_id=user_id,
                    firm_id=firm_id,
                    snapshot_id=snapshot_ids[user_id],
                    score=score,
                    grade=grade,
                    previous_score=before.score if before else None,
                    previous_grade=before.grade if before else None,
                    formula_version=version,
                    reason=reason,
                    changed_at=now,
                )
                for user_id, firm_id, score, grade, before in changed_rows
            ]
            transaction.on_commit(partial(_announce, changes))
        outcome.changed += len(changed_rows)
        outcome.refreshed += len(ratings) - len(changed_rows)
    return touched


def _audit_collectors(
    changed_rows: list[tuple], snapshot_ids: Mapping[int, int], version: str, reason: str
) -> None:
    """The chunk's one audit event: which snapshots were written, of whom, and under which
    formula (the scores stay in the snapshots; the event references them)."""
    firms = {row[1] for row in changed_rows if row[1]}
    firms.update(row[4].firm_id for row in changed_rows if row[4] is not None and row[4].firm_id)
    chain.record(
        "rating.snapshots_written",
        subject_label=f"{len(snapshot_ids)} collector rating snapshot(s)",
        firms=firms,
        persons=snapshot_ids.keys(),
        payload={
            "kind": "collector",
            "model": RatingSnapshot._meta.label_lower,
            "snapshots": id_ranges(snapshot_ids.values()),
            "formula_version": version,
            "reason": reason,
        },
    )


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """``ids`` as sorted inclusive ranges, ``[[first, last], ...]``: exactly the same set, but a
    chunk's thousands of snapshot ids (consecutive, as one INSERT takes them) fit in one pair,
    so the event stays small and quick to hash."""
    ranges: list[list[int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _snapshot(user_ids: list[int], reason: str, now: datetime) -> dict[int, int]:
    """Append a snapshot of each of these collectors' current ratings (just written); returns
    user id → snapshot id. A snapshot is a copy of the current row, so on PostgreSQL the database
    copies it (the JSON is neither sent nor parsed twice)."""
    if not user_ids:
        return {}
    fields = ("score", "grade", "formula_version", "components", "inputs")
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        listed = ", ".join(quote(bulk.column_of(RatingSnapshot, f)) for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(RatingSnapshot._meta.db_table)} "
                f"(user_id, {listed}, reason, created_at) "
                f"SELECT user_id, {listed}, %s, %s FROM {quote(CollectorRating._meta.db_table)} "
                "WHERE user_id = ANY(%s::bigint[]) RETURNING user_id, id",
                [reason, now, bigint_array(user_ids)],
            )
            return dict(cursor.fetchall())
    created = RatingSnapshot.objects.bulk_create(
        RatingSnapshot(reason=reason, created_at=now, **row)
        for row in CollectorRating.objects.filter(user_id__in=user_ids).values("user_id", *fields)
    )
    return {snapshot.user_id: snapshot.pk for snapshot in created}


def _memberships(where: Q, today: date) -> tuple[dict[int, int], dict[int, date]]:
    """user id → firm id of their active collector membership (the latest-started wins, for
    the day one ends and the next begins); and user id → the first day one of their collector
    memberships starts or ends (a recheck)."""
    firms: dict[int, int] = {}
    turns: dict[int, date] = {}
    rows = (
        Membership.objects.filter(where, role=MembershipRole.COLLECTOR)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
        .order_by("user_id", "active_from", "pk")
        .values_list("user_id", "firm_id", "active_from", "active_to")
    )
    for user_id, firm_id, active_from, active_to in rows:
        if active_from > today:  # starts later
            turn = active_from
        else:
            firms[user_id] = firm_id
            if active_to is None:
                continue
            turn = active_to + timedelta(days=1)
        if turn < turns.get(user_id, turn + timedelta(days=1)):
            turns[user_id] = turn
    return firms, turns


def _standings(
    where: Q, programmes: list[_Programme], now: datetime
) -> tuple[dict[int, tuple[formula.ProgrammeStanding, ...]], dict[int, datetime]]:
    """user id → their standing on each required programme. One GROUP BY query: for each
    holder × programme, the valid certificate (at most one, by constraint) and which status the
    latest certificate has, from the latest issue time per status. And user id → the next
    moment a valid or suspended certificate of theirs expires (a recheck)."""
    if not programmes:
        return {}, {}
    valid = Q(status=CertificateStatus.VALID, expires_at__gt=now)
    # Suspended is not valid (formula 2026.2); past its expiry it is expired, like a valid one.
    suspended = Q(status=CertificateStatus.SUSPENDED, expires_at__gt=now)
    expired = Q(status=CertificateStatus.EXPIRED) | Q(
        status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED], expires_at__lte=now
    )
    zone = timezone.get_current_timezone()
    rows = (
        Certificate.objects.filter(where, programme_id__in=[p.pk for p in programmes])
        .values("holder_id", "programme_id")
        .annotate(
            valid_expires=Max("expires_at", filter=valid),
            valid_score=Max("score", filter=valid),
            latest=Max("issued_at"),
            latest_revoked=Max("issued_at", filter=Q(status=CertificateStatus.REVOKED)),
            latest_suspended=Max("issued_at", filter=suspended),
            latest_expired=Max("issued_at", filter=expired),
            last_expires=Max("expires_at"),
            next_expiry=Min(
                "expires_at",
                filter=Q(
                    status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED],
                    expires_at__gt=now,
                ),
            ),
        )
        # The status and the expiry that matter are picked here rather than in Python: two
        # timestamps per row cross over instead of seven (a million collectors' rows, nightly).
        .annotate(
            standing=Case(
                When(valid_expires__isnull=False, then=Value("valid")),
                When(latest=F("latest_revoked"), then=Value("revoked")),
                When(latest=F("latest_suspended"), then=Value(formula.SUSPENDED)),
                When(latest=F("latest_expired"), then=Value("expired")),
                default=Value("superseded"),
            ),
            expires=Coalesce("valid_expires", "last_expires"),
        )
        .order_by()
        .values_list(
            "holder_id",
            "programme_id",
            "standing",
            "valid_score",
            "expires",
            "next_expiry",
        )
    )
    found: dict[int, dict[int, formula.ProgrammeStanding]] = {}
    flips: dict[int, datetime] = {}
    names = {p.pk: (p.code, p.name) for p in programmes}
    for holder, programme_id, status, score, expires, next_expiry in rows:
        if next_expiry is not None and next_expiry < flips.get(holder, next_expiry + _ONE_DAY):
            flips[holder] = next_expiry
        code, name = names[programme_id]
        by_programme = found.get(holder)
        if by_programme is None:
            by_programme = found[holder] = {}
        by_programme[programme_id] = formula.ProgrammeStanding(
            code, name, status, score, expires.astimezone(zone).date() if expires else None, expires
        )
    standings = {
        holder: tuple(
            by_programme.get(p.pk) or formula.ProgrammeStanding(p.code, p.name, None)
            for p in programmes
        )
        for holder, by_programme in found.items()
    }
    return standings, flips


def _overdue(where: Q, today: date) -> tuple[dict[int, int], dict[int, date]]:
    """user id → open assignments past their due date; and user id → the first day another
    one falls overdue (a recheck)."""
    counts: dict[int, int] = {}
    turns: dict[int, date] = {}
    rows = (
        ProgrammeAssignment.objects.open()
        .filter(where)
        .values("user_id")
        .annotate(
            n=Count("pk", filter=Q(due_on__lt=today)),
            next_due=Min("due_on", filter=Q(due_on__gte=today)),
        )
        .order_by()
        .values_list("user_id", "n", "next_due")
    )
    for user_id, n, next_due in rows:
        if n:
            counts[user_id] = n
        if next_due is not None:
            turns[user_id] = next_due + _ONE_DAY
    return counts, turns


def _cpd_hours(where: Q, today: date) -> tuple[dict[int, Decimal], dict[int, date]]:
    """user id → CPD hours earned in the formula's window — the CPD_WINDOW_DAYS days ending
    today, today included — (entries of any sign), one aggregate query over the ledger grouped
    by user; and user id → the first day an entry leaves the window or a future-dated one
    enters it (a recheck)."""
    since = today - timedelta(days=formula.CPD_WINDOW_DAYS)
    hours: dict[int, Decimal] = {}
    turns: dict[int, date] = {}
    rows = (
        CPDEntry.objects.filter(where, earned_on__gt=since)
        .values("user_id")
        .annotate(
            total=Sum("hours", filter=Q(earned_on__lte=today)),
            oldest=Min("earned_on", filter=Q(earned_on__lte=today)),
            coming=Min("earned_on", filter=Q(earned_on__gt=today)),
        )
        .order_by()
        .values_list("user_id", "total", "oldest", "coming")
    )
    window = timedelta(days=formula.CPD_WINDOW_DAYS)
    for user_id, total, oldest, coming in rows:
        if total is not None:
            hours[user_id] = total
        turn = oldest + window if oldest is not None else None
        if coming is not None and (turn is None or coming < turn):
            turn = coming
        if turn is not None:
            turns[user_id] = turn
    return hours, turns


def _findings(where: Q, today: date) -> dict[int, tuple[formula.FindingFact, ...]]:
    """user id → their confirmed findings that have not faded out yet."""
    found: dict[int, list[formula.FindingFact]] = {}
    rows = (
        Finding.objects.filter(
            where,
            status=FindingStatus.CONFIRMED,
            occurred_on__gt=today - timedelta(days=formula.FADE_DAYS),
        )
        .order_by()
        .values_list("collector_id", "pk", "severity", "occurred_on")
    )
    for user_id, pk, severity, occurred_on in rows:
        found.setdefault(user_id, []).append(formula.FindingFact(pk, severity, occurred_on))
    return {user_id: tuple(facts) for user_id, facts in found.items()}


def _current(where: Q) -> dict[int, _Current]:
    rows = (
        CollectorRating.objects.filter(where)
        .annotate(digest=KT("inputs__digest"))
        .order_by()
        .values_list(
            "user_id",
            "score",
            "grade",
            "formula_version",
            "firm_id",
            "certificate_status",
            "certificate_expires_at",
            "digest",
            "changed_at",
            "input_fingerprint",
            "recheck_at",
        )
    )
    return {row[0]: _Current(*row[1:]) for row in rows}


class _Recheck:
    """When a collector's rating may next change with no new input: the earliest of a
    certificate expiring (the moment), the expiry points starting to count down
    (EXPIRY_FULL_DAYS before the earliest expiry), a finding fading (tomorrow, as long as one
    counts), an assignment falling overdue, CPD hours leaving or entering the window, and a
    membership starting or ending (the start of that day). None: never.

    Keep in step with the formula: whatever it reads of the date must appear here (a new
    formula version recomputes everyone anyway, but not a forgotten dependency)."""

    def __init__(
        self,
        today: date,
        flips: Mapping[int, datetime],
        turns: Iterable[Mapping[int, date]],
        findings: Mapping[int, object],
    ) -> None:
        self.today = today
        self.tomorrow = today + _ONE_DAY
        self.flips = flips
        self.turns = list(turns)
        self.findings = findings
        self.zone = timezone.get_current_timezone()
        self.starts: dict[date, datetime] = {}

    def at(
        self, user_id: int, programmes: tuple[formula.ProgrammeStanding, ...]
    ) -> datetime | None:
        day: date | None = self.tomorrow if user_id in self.findings else None
        for turns in self.turns:
            turn = turns.get(user_id)
            if turn is not None and (day is None or turn < day):
                day = turn
        valid = [p.expires_on for p in programmes if p.status == "valid" and p.expires_on]
        if valid:
            countdown = min(valid) - timedelta(days=formula.EXPIRY_FULL_DAYS - 1)
            if day is None or countdown < day:
                day = countdown
        moment = None
        if day is not None:
            day = max(day, self.tomorrow)
            moment = self.starts.get(day)
            if moment is None:
                moment = self.starts[day] = timezone.make_aware(
                    datetime.combine(day, day_start.min), self.zone
                )
        flip = self.flips.get(user_id)
        if flip is not None and (moment is None or flip < moment):
            moment = flip
        return moment


def _announce(changes: list[RatingChange]) -> None:
    """Tell listeners (webhooks) after commit; a failing listener never undoes a recompute."""
    for receiver, error in signals.ratings_changed.send_robust(
        sender=CollectorRating, changes=changes
    ):
        if isinstance(error, Exception):
            logger.error("ratings_changed receiver %r failed: %r", receiver, error)


# --- Firms --------------------------------------------------------------------------------------


def _rate_firms(firm_ids: set[int] | None, today: date, now: datetime, outcome: Outcome) -> None:
    """Aggregate firms' current collector ratings (all firms, or ``firm_ids``); write the
    changed ones. Three reads, two writes."""
    scope = Q() if firm_ids is None else Q(firm_id__in=sorted(firm_ids))
    with transaction.atomic():
        _lock()
        certified = Q(certificate_status__in=formula.CERTIFIED_STATUSES)
        aggregates: dict[int, Mapping[str, Any]] = {
            row["firm_id"]: row
            for row in CollectorRating.objects.filter(scope, firm__isnull=False)
            .values("firm_id")
            .annotate(
                n=Count("pk"),
                certified=Count("pk", filter=certified),
                # Wider than the column: a sum of many scores needs more digits.
                score_sum=Sum("score", output_field=DecimalField(max_digits=14, decimal_places=2)),
                **{grade: Count("pk", filter=Q(grade=grade)) for grade in formula.GRADES},
            )
            .order_by()
        }
        since = today - timedelta(days=formula.FIRM_FINDINGS_WINDOW_DAYS)
        findings = dict(
            Finding.objects.filter(
                scope,
                firm__isnull=False,
                status=FindingStatus.CONFIRMED,
                occurred_on__gt=since,
                occurred_on__lte=today,
            )
            .values("firm_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("firm_id", "n")
        )
        current = {rating.firm_id: rating for rating in FirmRating.objects.filter(scope).order_by()}
        rows: list[FirmRating] = []
        snapshots: list[FirmRatingSnapshot] = []
        for firm_id in sorted(set(aggregates) | set(current)):
            row = aggregates.get(firm_id, {})
            result = formula.rate_firm(
                active_collectors=row.get("n", 0),
                certified=row.get("certified", 0),
                score_sum=row.get("score_sum") or Decimal(0),
                findings=findings.get(firm_id, 0),
                grade_counts={grade: row.get(grade, 0) for grade in formula.GRADES},
            )
            outcome.firms += 1
            outcome.firms_flagged += result.flagged
            values = {
                "active_collectors": result.active_collectors,
                "certified_share": result.certified_share,
                "mean_score": result.mean_score,
                "findings_per_100": result.findings_per_100,
                "grade_counts": result.grade_counts,
                "flagged": result.flagged,
                "flag_reasons": result.flag_reasons,
                "formula_version": formula.FORMULA_VERSION,
            }
            before = current.get(firm_id)
            if before is not None and all(
                getattr(before, name) == values[name] for name in FIRM_FIELDS
            ):
                continue
            rows.append(FirmRating(firm_id=firm_id, computed_at=now, **values))
            snapshots.append(FirmRatingSnapshot(firm_id=firm_id, created_at=now, **values))
        if rows:
            FirmRating.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["firm"],
                update_fields=[*FIRM_FIELDS, "computed_at"],
            )
            FirmRatingSnapshot.objects.bulk_create(snapshots)
            chain.record(
                "rating.snapshots_written",
                subject_label=f"{len(snapshots)} firm rating snapshot(s)",
                firms=[snapshot.firm_id for snapshot in snapshots],
                payload={
                    "kind": "firm",
                    "model": FirmRatingSnapshot._meta.label_lower,
                    "snapshots": id_ranges(snapshot.pk for snapshot in snapshots),
                    "formula_version": formula.FORMULA_VERSION,
                },
            )
        outcome.firms_changed += len(rows)
