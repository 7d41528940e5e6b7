"""Before submission, nothing the server sends may tell which options are right.

The test sits an exam as a collector would (exam page, start, the attempt page, autosaves, a
reload, the confirmation page, the history) and scans every response body for the
explanations, the per-option feedback and anything that marks options right or wrong. After
submission with the "full" review policy the same texts must appear, which proves the scan
looks for the right things.
"""

from __future__ import annotations

import json
import re

from django.urls import reverse

from exams.models import Attempt

from .factories import make_bank, make_exam, make_question

SECRETS = {
    "explanation": ["解析秘文一号", "解析秘文二号", "案例解析秘文"],
    "feedback": [
        "反馈秘文甲",
        "反馈秘文乙",
        "反馈秘文丙",
        "反馈秘文丁",
        "反馈秘文戊",
        "反馈秘文己",
    ],
}
# What would reveal grading: fractions as stored, the names a template or JSON would use for
# them, and the review's markers. (Words in labels, such as the review policy's name "correct
# answers and explanations", are fine: they say what the review will show, not which option.)
MARKERS = re.compile(
    r"fraction|data-correct|is-correct|[\"']correct[\"']|is-right|tag-right|outcome-"
    r"|\b-?[01]\.\d{7}\b|\b0\.5000000\b",
    re.IGNORECASE,
)


def build_exam():
    bank = make_bank()
    make_question(
        bank,
        choices=[("合规选项", "1", "反馈秘文甲"), ("违规选项", "0", "反馈秘文乙")],
        explanation="<p>解析秘文一号</p>",
    )
    make_question(
        bank,
        type="multiple",
        choices=[
            ("多选甲", "0.5", "反馈秘文丙"),
            ("多选乙", "0.5", "反馈秘文丁"),
            ("多选丙", "-1", "反馈秘文戊"),
        ],
        explanation="<p>解析秘文二号</p>",
    )
    case = make_question(bank, type="case", explanation="<p>案例解析秘文</p>")
    make_question(
        bank,
        parent=case,
        type="truefalse",
        choices=[("对", "1", "反馈秘文己"), ("错", "0", "")],
    )
    return make_exam([{"bank": bank, "count": 3}], review_policy="full", shuffle_choices=True)


def leaks(body: str) -> list[str]:
    found = [text for texts in SECRETS.values() for text in texts if text in body]
    found += MARKERS.findall(body)
    return found


def test_no_response_before_submission_reveals_the_answers(client, collector):
    exam = build_exam()
    client.force_login(collector)
    bodies = {"exam page": client.get(exam.url)}
    bodies["start"] = client.post(reverse("exams:start", args=[exam.pk]), follow=True)
    attempt = Attempt.objects.get()
    attempt_url = reverse("exams:attempt", args=[attempt.pk])
    bodies["attempt page"] = client.get(attempt_url)
    for row in attempt.questions.order_by("position"):
        bodies[f"autosave {row.position}"] = client.post(
            reverse("exams:save", args=[attempt.pk]),
            json.dumps({"position": row.position, "choices": row.choice_order[:1]}),
            content_type="application/json",
        )
    bodies["bad autosave"] = client.post(
        reverse("exams:save", args=[attempt.pk]),
        json.dumps({"position": 1, "choices": [0]}),
        content_type="application/json",
    )
    bodies["reload"] = client.get(attempt_url)
    bodies["plain save"] = client.post(
        reverse("exams:save", args=[attempt.pk]), {"answers_included": "1"}, follow=True
    )
    bodies["confirmation"] = client.get(reverse("exams:submit", args=[attempt.pk]))
    bodies["review before submitting"] = client.get(
        reverse("exams:review", args=[attempt.pk]), follow=True
    )
    bodies["exam page again"] = client.get(exam.url)
    bodies["history"] = client.get(reverse("exams:history"))

    for name, response in bodies.items():
        assert response.status_code in (200, 400), name
        assert leaks(response.content.decode()) == [], name


def test_the_full_review_after_submission_shows_what_was_hidden(client, collector):
    exam = build_exam()
    client.force_login(collector)
    client.post(reverse("exams:start", args=[exam.pk]))
    attempt = Attempt.objects.get()
    client.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})

    body = client.get(reverse("exams:review", args=[attempt.pk])).content.decode()

    for text in SECRETS["feedback"] + SECRETS["explanation"]:
        assert text in body
    assert "tag-right" in body
