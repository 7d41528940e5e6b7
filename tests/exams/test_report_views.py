"""Trainer reports in the Wagtail admin: who may see them, what they show, the CSV downloads,
and a query budget that does not grow with attempts or questions."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from exams import grading
from exams.models import (
    Attempt,
    AttemptQuestion,
    Choice,
    ExamIndexPage,
    ExamPage,
    Question,
    QuestionBank,
    QuestionCategory,
)
from exams.versions import current_version
from lms.accounts.models import User
from tests.conftest import activate_totp, make_user

INDEX_URL = "/admin/exam-reports/"
_numbers = itertools.count(1)


# --- Builders ------------------------------------------------------------------------------------


def make_question(
    bank: QuestionBank, name: str, choices: list[tuple[str, str]], type: str = "single", mark="1"
) -> Question:
    category, _ = QuestionCategory.objects.get_or_create(bank=bank, parent=None, name="默认")
    question = Question.objects.create(
        bank=bank,
        category=category,
        type=type,
        name=name,
        stem=f"<p>{name}</p>",
        default_mark=Decimal(mark),
    )
    for order, (text, fraction) in enumerate(choices):
        Choice.objects.create(
            question=question, text=text, fraction=Decimal(fraction), sort_order=order
        )
    return question


def make_exam(title: str = "合规催收考试", **fields) -> ExamPage:
    fields.setdefault("pass_mark_percent", 60)
    exam = ExamPage(title=title, slug=f"exam-{next(_numbers)}", **fields)
    ExamIndexPage.objects.get().add_child(instance=exam)
    exam.save_revision().publish()
    return exam


def sit(exam: ExamPage, user: User, answers: list, number: int = 1, status: str = "submitted"):
    """An attempt with one paper row per ``(version, response, mark)``, graded as
    exams.grading grades (the marks are given, so tests control them exactly)."""
    started = timezone.now() - timedelta(hours=2) + timedelta(minutes=next(_numbers))
    finished = status != "in_progress"
    marks = [Decimal(mark) for _, _, mark in answers]
    maxima = [Decimal(v.data["mark"]) for v, _, _ in answers]
    result = grading.result(marks, maxima, exam.pass_mark_percent)
    attempt = Attempt.objects.create(
        user=user,
        exam=exam,
        number=number,
        seed=0,
        status=status,
        started_at=started,
        deadline=started + timedelta(minutes=45),
        submitted_at=started + timedelta(minutes=20) if finished else None,
        score=result.score if finished else None,
        max_score=result.max_score if finished else None,
        percent=result.percent if finished else None,
        passed=result.passed if finished else None,
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=position,
            version=version,
            choice_order=[c["id"] for c in version.data["choices"]],
            response=response,
            mark=Decimal(mark) if finished else None,
            max_mark=Decimal(version.data["mark"]),
        )
        for position, (version, response, mark) in enumerate(answers, start=1)
    )
    return attempt


def choice_ids(question: Question) -> list[int]:
    return list(question.choices.order_by("sort_order").values_list("id", flat=True))


@pytest.fixture
def example(db):
    """The hand-computed example of tests/exams/test_analysis.py, through the ORM:

    attempt  Q1  Q2  Q3 (2 marks) | expected: Q1 F 80.00 D 53.45 DE 100.00
       1      1   1   2           |           Q2 F 60.00 D −37.27 DE −50.00 (flagged twice)
       2      1   0   2           |           Q3 F 60.00 D 32.73 DE 37.50
       3      1   1   1
       4      1   0   1
       5      0   1   0 (no answer to Q3)
    """
    bank = QuestionBank.objects.create(name="合规题库")
    q1 = make_question(bank, "催收时间", [("8:00–21:00", "1"), ("任何时间", "0")])
    q2 = make_question(bank, "第三方", [("可以透露", "0"), ("不得透露", "1")])
    q3 = make_question(
        bank,
        "合法手段",
        [("书面通知", "0.5"), ("电话提醒", "0.5"), ("上门威胁", "-1")],
        type="multiple",
        mark="2",
    )
    v1, v2, v3 = (current_version(q) for q in (q1, q2, q3))
    (a1, b1), (a2, b2), (a3, b3, _) = choice_ids(q1), choice_ids(q2), choice_ids(q3)
    exam = make_exam()
    rows = [
        # (Q1 response, mark), (Q2 ...), (Q3 ...)
        (([a1], 1), ([b2], 1), ([a3, b3], 2)),
        (([a1], 1), ([a2], 0), ([a3, b3], 2)),
        (([a1], 1), ([b2], 1), ([a3], 1)),
        (([a1], 1), ([a2], 0), ([b3], 1)),
        (([b1], 0), ([b2], 1), (None, 0)),
    ]
    candidates = [
        make_user(f"candidate{i}@example.com", name, "Collectors")
        for i, name in enumerate(["赵一", "钱二", "孙三", "李四", "周五"], start=1)
    ]
    for user, ((r1, m1), (r2, m2), (r3, m3)) in zip(candidates, rows, strict=True):
        sit(exam, user, [(v1, r1, m1), (v2, r2, m2), (v3, r3, m3)])
    return {"exam": exam, "candidates": candidates, "versions": (v1, v2, v3)}


@pytest.fixture
def signed_in_trainer(client, trainer):
    trainer.preferred_language = "en"
    trainer.save(update_fields=["preferred_language"])
    activate_totp(trainer)
    client.force_login(trainer)
    return trainer


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


# --- Who may see the reports -------------------------------------------------------------------


def test_a_trainer_sees_every_exam_with_its_attempts_and_pass_rate(
    client, signed_in_trainer, example
):
    make_exam("没人考过的考试")
    response = client.get(INDEX_URL)

    assert response.status_code == 200
    html = response.content.decode()
    exam = example["exam"]
    assert f'href="/admin/exam-reports/{exam.pk}/"' in html
    assert "没人考过的考试" in html
    # Five first attempts scoring 4, 3, 3, 2 and 1 of 4: three reach the 60% pass mark.
    assert "60.0%" in html


def test_a_reviewer_and_a_superuser_may_read_the_reports(client, reviewer, admin_user, example):
    for user in (reviewer, admin_user):
        activate_totp(user)
        client.force_login(user)
        assert client.get(f"{INDEX_URL}{example['exam'].pk}/").status_code == 200


def test_a_collector_is_turned_away_from_the_reports_and_downloads(client, collector, example):
    client.force_login(collector)
    exam = example["exam"]
    for url in (
        INDEX_URL,
        f"{INDEX_URL}{exam.pk}/",
        f"{INDEX_URL}{exam.pk}/questions.csv",
        f"{INDEX_URL}{exam.pk}/attempts.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_an_admin_user_who_may_not_view_attempts_gets_403(client, example):
    user = make_user("editor@example.com", "编辑")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    exam = example["exam"]

    for url in (INDEX_URL, f"{INDEX_URL}{exam.pk}/", f"{INDEX_URL}{exam.pk}/attempts.csv"):
        assert client.get(url).status_code == 403, url
    assert INDEX_URL not in client.get("/admin/").content.decode()


def test_the_reports_menu_links_to_exam_reports_for_trainers(client, signed_in_trainer):
    assert INDEX_URL in client.get("/admin/").content.decode()


def test_an_unknown_exam_is_404(client, signed_in_trainer):
    assert client.get(f"{INDEX_URL}999999/").status_code == 404


# --- The report page --------------------------------------------------------------------------


def test_the_report_shows_the_summary_histogram_and_item_analysis(
    client, signed_in_trainer, example
):
    response = client.get(f"{INDEX_URL}{example['exam'].pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["summary"]
    assert (summary.finished, summary.in_progress, summary.candidates) == (5, 0, 5)
    assert summary.pass_rate == 60.0
    # Percents 100, 75, 75, 50, 25: one each in 20–30, 50–60 and 90–100, two in 70–80.
    assert [b.count for b in summary.bands] == [0, 0, 1, 0, 0, 1, 0, 2, 0, 1]
    assert 'role="img"' in html and '<title id="histogram-title">' in html
    assert "Score (%)" in html and "Show the data as a table" in html
    for expected in ("80.00%", "53.45%", "100.00%", "-37.27%", "-50.00%", "32.73%", "37.50%"):
        assert expected in html
    assert "<strong>Negative discrimination</strong>: Weaker candidates do better" in html
    assert "<strong>Low efficiency</strong>: Discriminative efficiency below 15%" in html
    # Option distribution: the unanswered Q3 and the correct options are shown.
    q3 = response.context["items"][2]["stats"]
    assert q3.unanswered == 1
    assert [(c.text, c.correct, c.count) for c in q3.choices] == [
        ("书面通知", True, 3),
        ("电话提醒", True, 3),
        ("上门威胁", False, 0),
    ]
    assert "No answer" in html


def test_the_report_of_an_exam_nobody_has_finished_says_so(client, signed_in_trainer):
    exam = make_exam("新考试")
    response = client.get(f"{INDEX_URL}{exam.pk}/")
    assert response.status_code == 200
    assert "No finished attempts to analyse yet." in response.content.decode()


def test_retakes_count_only_when_all_attempts_are_chosen(client, signed_in_trainer, example):
    exam, first = example["exam"], example["candidates"][0]
    v1, v2, v3 = example["versions"]
    sit(exam, first, [(v1, None, 0), (v2, None, 0), (v3, None, 0)], number=2)
    sit(exam, first, [(v1, None, 0), (v2, None, 0), (v3, None, 0)], number=3, status="in_progress")

    default = client.get(f"{INDEX_URL}{exam.pk}/").context["summary"]
    everything = client.get(f"{INDEX_URL}{exam.pk}/?attempts=all").context["summary"]

    assert (default.considered, default.finished, default.in_progress) == (5, 6, 1)
    assert (everything.considered, everything.passed) == (6, 3)
    bogus = client.get(f"{INDEX_URL}{exam.pk}/?attempts=bogus").context["summary"]
    assert bogus.considered == 5


# --- CSV downloads ----------------------------------------------------------------------------


def test_the_item_analysis_csv_has_the_hand_computed_statistics(client, signed_in_trainer, example):
    response = client.get(f"{INDEX_URL}{example['exam'].pk}/questions.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [
        "Question",
        "Case",
        "Type",
        "Attempts (n)",
        "Facility index (%)",
        "Discrimination index (%)",
        "Discriminative efficiency (%)",
        "Flags",
    ]
    assert rows[1] == ["催收时间", "", "Single choice", "5", "80.00", "53.45", "100.00", ""]
    assert rows[2] == [
        "第三方",
        "",
        "Single choice",
        "5",
        "60.00",
        "-37.27",
        "-50.00",
        "Negative discrimination: Weaker candidates do better on it than stronger ones; "
        "Low efficiency: Discriminative efficiency below 15%",
    ]
    assert rows[3] == ["合法手段", "", "Multiple choice", "5", "60.00", "32.73", "37.50", ""]


def test_the_csv_header_is_in_the_users_language(client, trainer, example):
    activate_totp(trainer)  # preferred language: Simplified Chinese, the default
    client.force_login(trainer)
    rows = read_csv(client.get(f"{INDEX_URL}{example['exam'].pk}/questions.csv"))

    with translation.override("zh-hans"):
        assert rows[0][4] == translation.gettext("Facility index (%)")
        assert rows[1][2] == translation.gettext("Single choice")


def test_the_attempts_csv_lists_every_attempt_with_its_candidate_and_result(
    client, signed_in_trainer, example
):
    exam = example["exam"]
    late = make_user("late@example.com", "=HYPERLINK(1)", "Collectors")
    v1, v2, v3 = example["versions"]
    sit(exam, late, [(v1, None, 0), (v2, None, 0), (v3, None, 0)], status="in_progress")

    rows = read_csv(client.get(f"{INDEX_URL}{exam.pk}/attempts.csv"))

    assert rows[0] == [
        "Legal name",
        "Email",
        "Attempt",
        "Status",
        "Started",
        "Submitted",
        "Score",
        "Maximum score",
        "Percent (%)",
        "Passed",
    ]
    assert len(rows) == 7
    first = rows[1]
    assert first[:4] == ["赵一", "candidate1@example.com", "1", "Submitted"]
    attempt = Attempt.objects.get(user=example["candidates"][0])
    assert first[4] == timezone.localtime(attempt.started_at).strftime("%Y-%m-%d %H:%M:%S")
    assert first[6:] == ["4.00", "4.00", "100.00", "Yes"]
    assert rows[5][6:] == ["1.00", "4.00", "25.00", "No"]
    # A formula-looking name is defused for Excel; an unfinished attempt has no result.
    assert rows[6][0] == "'=HYPERLINK(1)"
    assert rows[6][2:4] == ["1", "In progress"]
    assert rows[6][5:] == ["", "", "", "", ""]


# --- Query budget -----------------------------------------------------------------------------


def build_exam_with(attempts: int, questions: int) -> ExamPage:
    """``attempts`` finished attempts × ``questions`` questions, made in bulk."""
    bank = QuestionBank.objects.create(name=f"题库{next(_numbers)}")
    versions = [
        current_version(make_question(bank, f"题{i}", [("对", "1"), ("错", "0")]))
        for i in range(questions)
    ]
    exam = make_exam(f"考试{attempts}x{questions}")
    start = next(_numbers) * 10_000
    users = User.objects.bulk_create(
        User(email=f"bulk{start + i}@example.com", legal_name=f"学员{i}") for i in range(attempts)
    )
    now = timezone.now()
    made = Attempt.objects.bulk_create(
        Attempt(
            user=user,
            exam=exam,
            number=1,
            seed=0,
            status="submitted",
            started_at=now,
            deadline=now,
            submitted_at=now,
            score=Decimal(i % (questions + 1)),
            max_score=Decimal(questions),
            percent=Decimal(100 * (i % (questions + 1)) / questions).quantize(Decimal("0.01")),
            passed=i % 2 == 0,
        )
        for i, user in enumerate(users)
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=position,
            version=version,
            choice_order=[c["id"] for c in version.data["choices"]],
            response=[version.data["choices"][(i + position) % 2]["id"]],
            mark=Decimal((i + position) % 2 == 0),
            max_mark=Decimal(1),
        )
        for i, attempt in enumerate(made)
        for position, version in enumerate(versions, start=1)
    )
    return exam


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
    return len(captured)


def test_a_report_costs_the_same_queries_for_3_or_200_attempts(client, signed_in_trainer):
    small = build_exam_with(attempts=3, questions=2)
    large = build_exam_with(attempts=200, questions=30)

    for suffix in ("", "?attempts=all", "questions.csv", "attempts.csv"):
        measured = [
            count_queries(client, f"{INDEX_URL}{exam.pk}/{suffix}") for exam in (small, large)
        ]
        assert measured[0] == measured[1], (suffix, measured)
    report = client.get(f"{INDEX_URL}{large.pk}/").context
    assert len(report["items"]) == 30
    assert report["summary"].considered == 200


def test_the_exam_list_costs_the_same_queries_for_1_or_6_exams(client, signed_in_trainer):
    build_exam_with(attempts=2, questions=1)
    one = count_queries(client, INDEX_URL)
    for _ in range(5):
        build_exam_with(attempts=2, questions=1)
    assert count_queries(client, INDEX_URL) == one
