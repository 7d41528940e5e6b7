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
from decimal import Decimal

from django.db import IntegrityError, transaction

from .models import Question, QuestionVersion


def snapshot(question: Question) -> dict:
    """The question as plain data. Reads its choices (one query) and, for a case, its
    sub-questions and their choices (two more)."""
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
        subs = question.sub_questions.filter(active=True).prefetch_related("choices")
        data["sub_questions"] = [snapshot(sub) for sub in subs.order_by("sort_order", "pk")]
    return data


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def current_version(question: Question) -> QuestionVersion:
    """The version matching the question as it is now, created if the question changed.

    Safe under concurrency: two papers freezing the same edited question at once end up
    sharing one version (the loser of the unique-number race re-reads the winner's row).
    """
    data = snapshot(question)
    digest = fingerprint(data)
    latest = question.versions.order_by("-number").first()
    if latest is not None and latest.fingerprint == digest:
        return latest
    number = (latest.number if latest else 0) + 1
    try:
        with transaction.atomic():
            return QuestionVersion.objects.create(
                question=question, number=number, fingerprint=digest, data=data
            )
    except IntegrityError:
        return question.versions.get(number=number)
