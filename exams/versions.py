"""Freezing questions into versions, so papers and scores never change after the fact.

``QuestionVersion.data`` (the contract every other module reads)::

    {
      "question_id": 12, "type": "single" | "multiple" | "truefalse" | "case",
      "name": "...", "stem": "<p>...</p>", "explanation": "<p>...</p>",
      "regulation_id": 7 | None, "difficulty": "easy" | "medium" | "hard", "mark": "1.00",
      "choices": [{"id": 31, "text": "...", "fraction": "1.0000000", "feedback": "..."}, ...],
      "sub_questions": [<the same structure, for each sub-question of a case>],
    }

Choice ids are the database ids at snapshot time; they identify choices inside the snapshot
only (a later edit may delete the row, the snapshot keeps the id and text).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from .models import Question, QuestionVersion


def snapshot(question: Question, subs: Sequence[Question] | None = None) -> dict:
    """The question as plain data. Reads its choices (one query, none when prefetched) and, for
    a case, its sub-questions and their choices (two more, none when ``subs`` gives its active
    sub-questions in order with their choices prefetched)."""
    data = {
        "question_id": question.pk,
        "type": question.type,
        "name": question.name,
        "stem": question.stem,
        "explanation": question.explanation,
        "regulation_id": question.regulation_id,
        "difficulty": question.difficulty,
        # Fixed decimal places: an in-memory Decimal("2") and the database's 2.00 must snapshot
        # alike, or an unchanged question would get a spurious new version.
        "mark": f"{Decimal(question.default_mark):.2f}",
        "choices": [
            {
                "id": c.pk,
                "text": c.text,
                "fraction": f"{Decimal(c.fraction):.7f}",
                "feedback": c.feedback,
            }
            for c in question.choices.all()
        ],
        "sub_questions": [],
    }
    if question.type == "case":
        if subs is None:
            subs = active_sub_questions([question]).get(question.pk, [])
        data["sub_questions"] = [snapshot(sub) for sub in subs]
    return data


def active_sub_questions(cases: Sequence[Question]) -> dict[int, list[Question]]:
    """Each case's active sub-questions in order, with their choices: two queries for any
    number of cases (cases without active sub-questions are left out)."""
    subs: dict[int, list[Question]] = {}
    if not cases:
        return subs
    rows = (
        Question.objects.filter(parent_id__in=[case.pk for case in cases], active=True)
        .prefetch_related("choices")
        .order_by("sort_order", "pk")
    )
    for sub in rows:
        assert sub.parent_id is not None
        subs.setdefault(sub.parent_id, []).append(sub)
    return subs


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def current_version(question: Question) -> QuestionVersion:
    """The version matching the question as it is now, created if the question changed
    (see :func:`current_versions`)."""
    return current_versions([question])[question.pk]


def current_versions(
    questions: Sequence[Question], subs: Mapping[int, Sequence[Question]] | None = None
) -> dict[int, QuestionVersion]:
    """Each question's version (by question id) matching it as it is now, created where the
    question changed since its latest version (or has none).

    Why in bulk: starting an exam freezes every question on the paper, and one look-up per
    question made a start cost ~2 queries per question, which saturated the server on exam
    day. Here it is one query for the latest versions whatever the number of questions, and
    two more (insert, re-read) only when some question changed. Give the questions with their
    choices prefetched and ``subs`` (:func:`active_sub_questions`) for the cases, or the
    snapshots read them.

    Safe under concurrency: the new versions are inserted in question-id order in one statement
    that skips a (question, number) another transaction inserted first, then re-read, so two
    papers freezing the same edited question at once share one version, and many candidates
    starting a fresh exam at once queue on the same first row instead of deadlocking.
    """
    unique = sorted({question.pk: question for question in questions}.values(), key=_pk)
    if not unique:
        return {}
    data = {q.pk: snapshot(q, None if subs is None else subs.get(q.pk, [])) for q in unique}
    latest_number = (
        QuestionVersion.objects.filter(question_id=OuterRef("question_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    latest = {
        version.question_id: version
        for version in QuestionVersion.objects.filter(
            question_id__in=[q.pk for q in unique], number=Subquery(latest_number)
        )
    }
    versions: dict[int, QuestionVersion] = {}
    new: list[QuestionVersion] = []
    for question in unique:
        digest = fingerprint(data[question.pk])
        last = latest.get(question.pk)
        if last is not None and last.fingerprint == digest:
            versions[question.pk] = last
        else:
            number = (last.number if last else 0) + 1
            new.append(
                QuestionVersion(
                    question=question, number=number, fingerprint=digest, data=data[question.pk]
                )
            )
    if new:
        QuestionVersion.objects.bulk_create(new, ignore_conflicts=True)
        # Re-read: a row another paper inserted first (the conflict skipped) is the one to use.
        wanted = {(version.question_id, version.number): _question_id(version) for version in new}
        for version in QuestionVersion.objects.filter(
            question_id__in=list(wanted.values()), number__in={number for _q, number in wanted}
        ):
            found = wanted.get((version.question_id, version.number))
            if found is not None:
                versions[found] = version
    return versions


def _pk(question: Question) -> int:
    return question.pk


def _question_id(version: QuestionVersion) -> int:
    """The id of the question a new (not yet saved) version freezes."""
    assert version.question_id is not None
    return version.question_id
