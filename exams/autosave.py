"""Autosave in one SQL statement: the busiest request of an exam day.

Every candidate's page saves each answer as it is given, so on exam day autosaves outnumber every
other request put together. :func:`save_one` writes an answer with a single ``UPDATE …
RETURNING`` on the attempt's question row that checks, in its ``WHERE``, everything the service
checks: the attempt is the user's, still in progress and within its deadline plus the grace; the
position is on the attempt's frozen paper; every chosen option is one of that question's options
and a single-answer question gets at most one. The answer is stored in paper order, as the page
lists the options. One round trip, no explicit transaction.

When the statement changes no row, something is wrong with the request and the caller goes the
slow way (:func:`exams.attempts.save_answers`), which finds out what and says so (404, closed,
invalid answer), closing an expired attempt first. Only a refused request pays for that.

Racing a submit: grading locks the attempt row ``FOR UPDATE`` before it reads the answers. On
PostgreSQL the statement takes ``FOR KEY SHARE`` on the attempt (the weakest lock that conflicts
with it), so an answer is either written before grading reads the paper, or waits and then finds
the attempt submitted and is refused, never saved after grading. SQLite has one writer at a time.

Durability (PostgreSQL): the statement commits asynchronously (``synchronous_commit`` off for its
own transaction only, set in the statement). It does not wait for the WAL to reach the disk: a
crash *of the database server* could lose the autosaves of its last fraction of a second (about
three ``wal_writer_delay``, 0.6 s by default), never leave a half-written row, and never touch a
submission, whose grading commits synchronously. Waiting for the flush costs 2–8 ms per autosave
on a busy disk, more than the rest of the request. ``EXAM_AUTOSAVE_SYNCHRONOUS_COMMIT = True``
restores the wait.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from . import grading
from .models import Attempt, AttemptQuestion, AttemptStatus

ATTEMPT = Attempt._meta.db_table
QUESTION = AttemptQuestion._meta.db_table
# The position and attempt columns are small/big integers: a value beyond them is on no paper.
POSITION_MAX = 32767
ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class Saved:
    """What the page is told: the question saved and whether it now has an answer."""

    position: int
    answered: bool


def _single_types() -> str:
    return ", ".join(f"'{kind}'" for kind in sorted(grading.SINGLE_ANSWER_TYPES))


# What the saving and the clearing statement of each database share, written once.
# PostgreSQL: the attempt read and key-share locked in a CTE (with the commit setting for the
# statement's own transaction), and the question row joined to it.
_OPEN_ATTEMPT_POSTGRESQL = f"""
WITH async_commit AS (
    SELECT set_config(
        'synchronous_commit',
        coalesce(%(synchronous_commit)s, current_setting('synchronous_commit')),
        true
    )
), open_attempt AS (
    SELECT id FROM {ATTEMPT}
    WHERE id = %(attempt)s {{owner}} AND status = %(status)s
      AND deadline >= %(cutoff)s
    FOR KEY SHARE
)"""
_ON_OPEN_ATTEMPT_POSTGRESQL = """FROM open_attempt, async_commit
WHERE question.attempt_id = open_attempt.id AND question.position = %(position)s"""

# SQLite: the same check of the attempt as an EXISTS (one writer at a time: no lock needed).
_OPEN_ATTEMPT_SQLITE = f"""WHERE attempt_id = %(attempt)s AND position = %(position)s
  AND EXISTS (
      SELECT 1 FROM {ATTEMPT} AS attempt
      WHERE attempt.id = %(attempt)s {{owner}}
        AND attempt.status = %(status)s AND attempt.deadline >= %(cutoff)s
  )"""

# PostgreSQL: the paper's option order kept with WITH ORDINALITY, containment (``@>``) for
# "every chosen option is on the question".
POSTGRESQL = f"""{_OPEN_ATTEMPT_POSTGRESQL}
UPDATE {QUESTION} AS question
SET response = (
        SELECT jsonb_agg(option.value ORDER BY option.ord)
        FROM jsonb_array_elements(question.choice_order) WITH ORDINALITY AS option(value, ord)
        WHERE %(chosen)s::jsonb @> option.value
    ),
    answered_at = %(now)s
{_ON_OPEN_ATTEMPT_POSTGRESQL}
  AND question.choice_order @> %(chosen)s::jsonb
  {{single}}
RETURNING question.position
"""

# SQLite: the options with json_each.
SQLITE = f"""
UPDATE {QUESTION}
SET response = (
        SELECT json_group_array(option.value) FROM (
            SELECT value FROM json_each({QUESTION}.choice_order)
            WHERE value IN (SELECT value FROM json_each(%(chosen)s)) ORDER BY key
        ) AS option
    ),
    answered_at = %(now)s
{_OPEN_ATTEMPT_SQLITE}
  AND NOT EXISTS (
      SELECT 1 FROM json_each(%(chosen)s) AS chosen
      WHERE chosen.value NOT IN (SELECT value FROM json_each({QUESTION}.choice_order))
  )
  {{single}}
RETURNING position
"""

# Clearing an answer needs no check of the options.
CLEAR_POSTGRESQL = f"""{_OPEN_ATTEMPT_POSTGRESQL}
UPDATE {QUESTION} AS question SET response = NULL, answered_at = NULL
{_ON_OPEN_ATTEMPT_POSTGRESQL}
RETURNING question.position
"""

CLEAR_SQLITE = f"""
UPDATE {QUESTION} SET response = NULL, answered_at = NULL
{_OPEN_ATTEMPT_SQLITE}
RETURNING position
"""


def _statement(chosen: list[int], *, owned: bool) -> str:
    postgresql = connection.vendor == "postgresql"
    owner_column = "user_id" if postgresql else "attempt.user_id"
    owner = f"AND {owner_column} = %(user)s" if owned else ""
    if not chosen:
        return (CLEAR_POSTGRESQL if postgresql else CLEAR_SQLITE).format(owner=owner)
    # More than one option: only a question that takes several may have them.
    type_column = "question.question_type" if postgresql else "question_type"
    single = f"AND {type_column} NOT IN ({_single_types()})" if len(chosen) > 1 else ""
    return (POSTGRESQL if postgresql else SQLITE).format(owner=owner, single=single)


def save_one(
    attempt_id: int,
    position: int,
    choice_ids: list[int],
    now: datetime,
    grace: timedelta,
    *,
    user_id: int | None = None,
) -> Saved | None:
    """Save one answer in one statement (checking that the attempt is ``user_id``'s when given);
    None when the statement refused it: the caller then asks
    :func:`exams.attempts.save_answers` why."""
    chosen = sorted(set(choice_ids))
    if not (0 < attempt_id <= ID_MAX and 0 <= position <= POSITION_MAX):
        return None  # on no paper (and SQLite could not even be sent it)
    if any(not -ID_MAX <= pk <= ID_MAX for pk in chosen):
        return None
    ops = connection.ops
    synchronous = getattr(settings, "EXAM_AUTOSAVE_SYNCHRONOUS_COMMIT", False)
    params = {
        "attempt": attempt_id,
        "user": user_id,
        "position": position,
        "status": AttemptStatus.IN_PROGRESS.value,
        "cutoff": ops.adapt_datetimefield_value(now - grace),
        "now": ops.adapt_datetimefield_value(now),
        "chosen": json.dumps(chosen),
        # Inside a caller's transaction, leave its setting alone: the whole transaction would
        # commit asynchronously otherwise.
        "synchronous_commit": None if synchronous or connection.in_atomic_block else "off",
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(chosen, owned=user_id is not None), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Saved(position=row[0], answered=bool(chosen))
