"""Exam attempts in the audit log: ``attempt.submitted`` and ``attempt.graded`` (the score,
never the answers), written once by the collector's submit (HTTP) or by the task that closes
attempts left open past their time, and not at all when the grading is rolled back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams import attempts
from exams.models import Attempt, AttemptStatus
from exams.tasks import close_abandoned_attempts
from lms.auditlog.models import ActorKind, AuditEvent, EventFirm, EventPerson
from tests.auditlog.helpers import events_of, one_event
from tests.exams.factories import fill_bank, make_bank, make_exam
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SUBMITTED_FIELDS = {
    "attempt_id",
    "exam_id",
    "number",
    "status",
    "started_at",
    "deadline",
    "submitted_at",
    "questions",
    "answered",
}
GRADED_FIELDS = {
    "attempt_id",
    "exam_id",
    "number",
    "score",
    "max_score",
    "percent",
    "pass_mark_percent",
    "passed",
}


@pytest.fixture
def exam(db):
    bank = make_bank()
    fill_bank(bank, 4)
    return make_exam([{"bank": bank, "count": 4}], title="催收合规考试", pass_mark_percent=60)


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def browser(collector, firm):
    MembershipFactory(firm=firm, user=collector)
    client = Client()
    client.force_login(collector)
    return client


def start(browser, exam) -> Attempt:
    assert browser.post(reverse("exams:start", args=[exam.pk])).status_code == 302
    return Attempt.objects.latest("pk")


def answer(browser, attempt, *, right: int) -> None:
    """Answer the first ``right`` questions correctly and the next one wrongly (autosave)."""
    rows = list(attempt.questions.select_related("version").order_by("position"))
    for index, row in enumerate(rows[: right + 1]):
        choices = row.version.data["choices"]
        correct = [c["id"] for c in choices if float(c["fraction"]) > 0]
        wrong = [c["id"] for c in choices if float(c["fraction"]) <= 0][:1]
        response = browser.post(
            reverse("exams:save", args=[attempt.pk]),
            json.dumps({"position": row.position, "choices": correct if index < right else wrong}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content


def submit(browser, attempt):
    return browser.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})


def test_submitting_records_the_submission_and_the_grade_not_the_answers(
    browser, exam, collector, firm
):
    attempt = start(browser, exam)
    answer(browser, attempt, right=3)  # three right, one wrong: 75 %

    response = submit(browser, attempt)
    submit(browser, attempt)  # a second click changes nothing

    assert response.status_code == 302
    attempt.refresh_from_db()
    submitted = one_event(
        "attempt.submitted", actor_kind=ActorKind.USER, actor_id=str(collector.pk)
    )
    graded = one_event("attempt.graded", actor_kind=ActorKind.USER, actor_id=str(collector.pk))
    for event in (submitted, graded):
        assert (event.subject_type, event.subject_id) == ("exams.attempt", str(attempt.pk))
        assert event.subject_label == "催收合规考试 #1"
        assert event.persons == [collector.pk]
        assert event.firms == [{"id": firm.pk, "code": firm.credit_code}]
        assert EventFirm.objects.filter(event=event, firm_id=firm.pk).exists()
        assert EventPerson.objects.filter(event=event, person_id=collector.pk).exists()
        assert event.request_id == response["X-Request-ID"]
        assert collector.legal_name not in str(event.payload)
    assert set(submitted.payload) == SUBMITTED_FIELDS
    assert submitted.payload["status"] == AttemptStatus.SUBMITTED
    assert (submitted.payload["questions"], submitted.payload["answered"]) == (4, 4)
    assert set(graded.payload) == GRADED_FIELDS  # no responses, no marks per question
    assert graded.payload["percent"] == "75.00" == str(attempt.percent)
    assert graded.payload["score"] == str(attempt.score)
    assert graded.payload["max_score"] == str(attempt.max_score)
    assert (graded.payload["pass_mark_percent"], graded.payload["passed"]) == (60, True)
    assert submitted.seq < graded.seq


def test_a_failed_attempt_is_graded_as_failed(browser, exam):
    attempt = start(browser, exam)
    answer(browser, attempt, right=1)

    submit(browser, attempt)

    graded = one_event("attempt.graded")
    assert (graded.payload["percent"], graded.payload["passed"]) == ("25.00", False)
    assert one_event("attempt.submitted").payload["answered"] == 2


def test_the_task_closing_an_abandoned_attempt_records_it_timed_out(exam, collector, browser):
    attempt = start(browser, exam)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=3),
        deadline=timezone.now() - timedelta(hours=2),
    )

    assert close_abandoned_attempts.delay().get() == 1
    assert close_abandoned_attempts.delay().get() == 0

    task = "exams.tasks.close_abandoned_attempts"
    submitted = one_event("attempt.submitted", actor_kind=ActorKind.SYSTEM, actor_id=task)
    assert submitted.payload["status"] == AttemptStatus.TIMED_OUT
    assert submitted.payload["answered"] == 0
    assert submitted.persons == [collector.pk]
    graded = one_event("attempt.graded", actor_id=task)
    assert (graded.payload["percent"], graded.payload["passed"]) == ("0.00", False)


def test_a_grading_rolled_back_leaves_no_event(monkeypatch, browser, exam):
    """The grading transaction fails AFTER both events are appended (the last step of
    grading): the grade and both events are rolled back together. (A failure before the
    events would pass even if they were written outside the transaction.)"""
    attempt = start(browser, exam)
    answer(browser, attempt, right=4)
    record_graded = attempts._record_graded
    written: list[str] = []

    def record_then_fail(*args, **kwargs):
        record_graded(*args, **kwargs)
        # Both events are there, inside the grading transaction...
        written.extend(
            AuditEvent.objects.filter(event_type__startswith="attempt.")
            .order_by("seq")
            .values_list("event_type", flat=True)
        )
        raise RuntimeError("the grading transaction fails after its events")

    monkeypatch.setattr(attempts, "_record_graded", record_then_fail)
    browser.raise_request_exception = True
    with pytest.raises(RuntimeError):
        submit(browser, attempt)
    monkeypatch.undo()

    assert written == ["attempt.submitted", "attempt.graded"]
    # ...and gone with it.
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert not AuditEvent.objects.filter(event_type__startswith="attempt.").exists()

    submit(browser, attempt)  # the retry grades it, once
    assert len(events_of("attempt.graded")) == 1
