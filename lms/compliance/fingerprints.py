"""Which collectors a full recompute may skip: a fingerprint of each one's inputs, in SQL.

Why: at a million collectors, reading everyone's inputs and running the formula in Python costs
most of a minute even when nothing changed. One aggregate query instead hashes, per person, the
rows the formula reads — collector memberships, certificates, programme assignments, CPD
entries, findings — each row's hash seeded by its id and salted with the formula version and
the required programmes, XOR-ed together. A row added, changed or deleted changes the XOR (up
to a 2⁻⁶⁴ chance); a new formula version or programme list changes every fingerprint.

The fingerprint says nothing about time: a certificate expires, a finding fades a day more,
an assignment falls due, CPD hours leave the 365-day window, a membership starts or ends. The
recompute stores with each rating the first moment one of these may change it
(``CollectorRating.recheck_at``), so a collector is skipped only while their fingerprint is the
stored one *and* that moment has not come (see :func:`due`).

PostgreSQL hashes with ``hash_record_extended`` and ``bit_xor``; SQLite gets the same SQL with a
Python function and aggregate registered on the connection (slower, same answers). Fingerprints
are only ever compared within one database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date, datetime

from django.contrib.auth.models import Group
from django.db import connection, models, transaction

from courses.models import CPDEntry
from exams.certificates.models import Certificate, ProgrammeAssignment
from lms.accounts.models import Membership, MembershipRole, User
from lms.accounts.roles import Role

from . import bulk
from .models import CollectorRating, Finding

_MASK = (1 << 64) - 1


def salt(formula_version: str, programmes: Sequence[tuple[int, str, str]]) -> str:
    """Everything every collector's rating shares: the formula and the required programmes
    (their names go into the stored inputs)."""
    text = "|".join([formula_version, *(f"{pk}:{code}:{name}" for pk, code, name in programmes)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model: type[models.Model], field: str) -> str:
    return _quote(bulk.column_of(model, field))


def _branches() -> list[tuple[type[models.Model], str, str, list[str], str]]:
    """(model, person column, tag, hashed columns, population flags) for each input table."""
    m = Membership
    active = (
        f"CASE WHEN {_column(m, 'role')} = %s AND {_column(m, 'active_from')} <= %s "
        f"AND ({_column(m, 'active_to')} IS NULL OR {_column(m, 'active_to')} >= %s) "
        "THEN 1 ELSE 0 END AS active, 0 AS evidence"
    )
    return [
        (m, "user", "m", ["firm", "role", "active_from", "active_to"], active),
        (
            Certificate,
            "holder",
            "c",
            ["programme", "status", "score", "issued_at", "expires_at"],
            "0 AS active, 1 AS evidence",
        ),
        (
            ProgrammeAssignment,
            "user",
            "a",
            ["programme", "due_on", "completed_at", "cancelled_at"],
            "0 AS active, 0 AS evidence",
        ),
        (CPDEntry, "user", "p", ["hours", "earned_on"], "0 AS active, 0 AS evidence"),
        (
            Finding,
            "collector",
            "f",
            ["status", "severity", "occurred_on"],
            "0 AS active, 1 AS evidence",
        ),
    ]


def _parts_sql(salt_text: str, today: date, restrict: list[int] | None) -> tuple[str, list]:
    """One UNION ALL over the input tables: (person, row hash, 1 if an active collector
    membership, 1 if a certificate or a finding)."""
    postgres = connection.vendor == "postgresql"
    selects, params = [], []
    seed = int(salt_text, 16)
    for number, (model, person, tag, fields, flags) in enumerate(_branches()):
        columns = ", ".join(_column(model, name) for name in fields)
        branch: list
        if postgres:
            # Each column hashed by its type's own hash function: no text formatting (half
            # the cost); the seed carries the salt and tells the tables apart.
            hashed = f"hash_record_extended(ROW({_column(model, 'id')}, {columns}), %s)"
            branch = [_signed((seed + number) & _MASK)]
        else:
            # The format string is a parameter (NULL formats as '').
            hashed = f"rating_row_hash(printf(%s, {columns}), {_column(model, 'id')})"
            branch = [f"{salt_text}|{tag}" + "|%s" * len(fields)]
        if model is Membership:
            branch += [MembershipRole.COLLECTOR, today, today]
        where = ""
        if restrict is not None:
            if postgres:
                where = f" WHERE {_column(model, person)} = ANY(%s)"
                branch.append(restrict)
            else:
                where = f" WHERE {_column(model, person)} IN ({', '.join(['%s'] * len(restrict))})"
                branch += restrict
        selects.append(
            f"SELECT {_column(model, person)} AS uid, {hashed} AS h, {flags} "
            f"FROM {_quote(model._meta.db_table)}{where}"
        )
        params += branch
    return " UNION ALL ".join(selects), params


def _fingerprint_sql(salt_text: str, today: date, restrict: list[int] | None) -> tuple[str, list]:
    parts, params = _parts_sql(salt_text, today, restrict)
    xor = "bit_xor" if connection.vendor == "postgresql" else "rating_xor"
    return (
        f"SELECT uid, {xor}(h) AS h, max(active) AS active, max(evidence) AS evidence "
        f"FROM ({parts}) AS parts GROUP BY uid",
        params,
    )


def _prepare() -> None:
    """SQLite has no hash function nor XOR aggregate: register Python ones on the connection
    (PostgreSQL has both built in). ``work_mem`` lets PostgreSQL group a million people in
    memory rather than on disk (for this transaction only)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '256MB'")
        return
    raw = connection.connection
    raw.create_function("rating_row_hash", 2, _row_hash, deterministic=True)
    raw.create_aggregate("rating_xor", 1, _Xor)


def _signed(value: int) -> int:
    """``value`` (0 … 2⁶⁴ − 1) as the signed 64-bit integer a BIGINT holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _row_hash(text: str, seed: int) -> int:
    digest = hashlib.blake2b(f"{seed}|{text}".encode(), digest_size=8).digest()
    return _signed(int.from_bytes(digest, "big"))


class _Xor:
    def __init__(self) -> None:
        self.value = 0

    def step(self, value: int | None) -> None:
        if value is not None:
            self.value ^= value & _MASK

    def finalize(self) -> int:
        return _signed(self.value)


def of(user_ids: list[int], salt_text: str, today: date) -> dict[int, int]:
    """user id → fingerprint of their inputs now (0: no input row at all)."""
    if not user_ids:
        return {}
    _prepare()
    sql, params = _fingerprint_sql(salt_text, today, user_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT uid, h FROM ({sql}) AS fp", params)
        found = dict(cursor.fetchall())
    return {pk: found.get(pk, 0) for pk in user_ids}


def due(salt_text: str, version: str, today: date, now: datetime) -> list[tuple[int, int, int]]:
    """(user id, fingerprint, 1 if not rated yet) of everyone the full recompute must rate
    now, sorted: the population (see :mod:`lms.compliance.recompute`) less those whose rating
    was computed from the same inputs, by the same formula, and needs no recheck yet. One
    query."""
    fp_sql, params = _fingerprint_sql(salt_text, today, None)
    rating = _quote(CollectorRating._meta.db_table)
    user = _column(CollectorRating, "user")
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    groups = _groups_table()
    group_id = Group.objects.filter(name=Role.COLLECTOR).values_list("pk", flat=True).first()
    sql = (
        f"WITH fp AS ({fp_sql}) "
        f"SELECT COALESCE(fp.uid, r.{user}) AS uid, COALESCE(fp.h, 0), "
        f"CASE WHEN r.{user} IS NULL THEN 1 ELSE 0 END FROM fp "
        f"FULL OUTER JOIN {rating} AS r ON r.{user} = fp.uid "
        f"WHERE CASE WHEN r.{user} IS NULL THEN "
        # Not rated yet: rate them if they belong to the population.
        f"(fp.active = 1 OR (fp.evidence = 1 AND EXISTS (SELECT 1 FROM {groups[0]} AS g "
        f"WHERE g.{groups[1]} = fp.uid AND g.{groups[2]} = %s))) "
        f"ELSE (r.{_column(CollectorRating, 'input_fingerprint')} {differs} COALESCE(fp.h, 0) "
        f"OR r.{_column(CollectorRating, 'input_fingerprint')} IS NULL "
        f"OR r.{_column(CollectorRating, 'formula_version')} <> %s "
        f"OR r.{_column(CollectorRating, 'recheck_at')} <= %s "
        # Rated, but not a single input row: maybe a user deleted behind Django's back (the
        # rating's reference has no constraint), which the recompute checks. Rare otherwise.
        "OR fp.uid IS NULL) END "
        "ORDER BY 1"
    )
    # On PostgreSQL in a transaction of its own, for the SET LOCAL of _prepare (SQLite's
    # transactions take the write lock at once: none there).
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        _prepare()
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, group_id, version, now])
            return cursor.fetchall()


def _groups_table() -> tuple[str, str, str]:
    through = User.groups.through
    return (
        _quote(through._meta.db_table),
        _column(through, "user"),
        _column(through, "group"),
    )
