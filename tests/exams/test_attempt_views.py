"""Taking an exam through HTTP: the exam page, start, the attempt, autosave, submit, review."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.models import Regulation
from exams import attempts
from exams.models import Attempt, AttemptStatus

from .factories import fill_bank, make_bank, make_exam, make_question


@pytest.fixture
def exam(db):
    bank = make_bank()
    fill_bank(bank, 3)
    return make_exam([{"bank": bank, "count": 3}], title="催收合规考试", pass_mark_percent=60)


@pytest.fixture
def signed_in(client, collector):
    client.force_login(collector)
    return client


def start(client, exam) -> Attempt:
    response = client.post(reverse("exams:start", args=[exam.pk]))
    attempt = Attempt.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("exams:attempt", args=[attempt.pk])
    return attempt


def autosave(client, attempt, position, choices):
    return client.post(
        reverse("exams:save", args=[attempt.pk]),
        json.dumps({"position": position, "choices": choices}),
        content_type="application/json",
    )


def right_choices(attempt) -> dict[int, int]:
    return {
        row.position: next(
            c["id"] for c in row.version.data["choices"] if Decimal(c["fraction"]) > 0
        )
        for row in attempt.questions.select_related("version")
    }


# --- The exam page ------------------------------------------------------------------------------


def test_the_exam_page_invites_visitors_to_log_in(client, exam):
    response = client.get(exam.url)
    assert response.status_code == 200
    assert "Log in to take the exam" in response.text or "登录" in response.text
    assert f"{reverse('account_login')}?next=" in response.text


def test_the_exam_page_shows_the_rules_and_a_start_button(signed_in, exam):
    response = signed_in.get(exam.url)
    assert response.status_code == 200
    assert reverse("exams:start", args=[exam.pk]) in response.text
    assert "60%" in response.text
    assert "private" in response["Cache-Control"]


def test_the_exam_page_offers_to_resume_and_lists_the_attempts(signed_in, exam, collector):
    attempt = start(signed_in, exam)
    response = signed_in.get(exam.url)
    assert response.context["exam_status"].in_progress == attempt
    assert reverse("exams:attempt", args=[attempt.pk]) in response.text


def test_the_exam_page_explains_why_no_attempt_is_left(signed_in, exam):
    exam.max_attempts = 1
    exam.save_revision().publish()
    attempts.submit_attempt(start(signed_in, exam))
    response = signed_in.get(exam.url)
    assert reverse("exams:start", args=[exam.pk]) not in response.text
    assert response.context["exam_status"].blocker is not None
    assert str(response.context["exam_status"].blocker) in response.text


def test_the_exam_list_shows_published_exams(client, exam):
    unpublished = make_exam([], title="草稿考试", publish=False)
    response = client.get(exam.get_parent().url)
    assert response.status_code == 200
    assert exam.title in response.text
    assert unpublished.title not in response.text


# --- Starting and the attempt page --------------------------------------------------------------


def test_starting_needs_a_login_and_a_post(client, exam):
    assert client.get(reverse("exams:start", args=[exam.pk])).status_code == 405
    response = client.post(reverse("exams:start", args=[exam.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert response["Location"].endswith("next=" + exam.url)
    assert not Attempt.objects.exists()


def test_starting_is_protected_against_csrf(collector, exam):
    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)
    assert client.post(reverse("exams:start", args=[exam.pk])).status_code == 403


def test_a_refused_start_explains_why_on_the_exam_page(signed_in, collector):
    bank = make_bank()
    fill_bank(bank, 1)
    broken = make_exam([{"bank": bank, "count": 5}])
    response = signed_in.post(reverse("exams:start", args=[broken.pk]), follow=True)
    assert response.redirect_chain[-1][0] == broken.url
    assert "5" in str(list(response.context["messages"])[0])
    assert not Attempt.objects.exists()


def test_the_attempt_page_shows_every_question_with_the_time_left(signed_in, exam):
    attempt = start(signed_in, exam)
    response = signed_in.get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.status_code == 200
    assert response.text.count('class="card question"') == 3
    assert 'data-seconds-left="' in response.text
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_someone_elses_attempt_is_not_found(signed_in, exam, other_collector):
    theirs = attempts.start_attempt(other_collector, exam)
    for name in ("attempt", "review", "submit"):
        assert signed_in.get(reverse(f"exams:{name}", args=[theirs.pk])).status_code == 404
    assert autosave(signed_in, theirs, 1, []).status_code == 404
    post = signed_in.post(reverse("exams:submit", args=[theirs.pk]), {"confirm": "1"})
    assert post.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_open


# --- Autosave -----------------------------------------------------------------------------------


def test_autosave_stores_the_answer_and_a_reload_shows_it(signed_in, exam):
    attempt = start(signed_in, exam)
    choice = attempt.questions.get(position=2).choice_order[1]

    response = autosave(signed_in, attempt, 2, [choice])

    assert response.status_code == 200
    assert response.json()["saved"] is True
    page = signed_in.get(reverse("exams:attempt", args=[attempt.pk]))
    assert f'name="q-2" value="{choice}" checked' in page.text


def test_autosave_refuses_an_option_not_on_the_question(signed_in, exam):
    attempt = start(signed_in, exam)
    foreign = attempt.questions.get(position=1).choice_order[0]
    response = autosave(signed_in, attempt, 2, [foreign])
    assert response.status_code == 400
    assert response.json()["error"]
    assert autosave(signed_in, attempt, 2, ["x"]).status_code == 400


def test_autosave_after_the_deadline_closes_the_attempt(signed_in, exam):
    attempt = start(signed_in, exam)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() - attempts.GRACE - timedelta(seconds=1)
    )
    response = autosave(signed_in, attempt, 1, [])
    assert response.status_code == 409
    assert response.json()["redirect"] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.TIMED_OUT


def test_autosave_on_a_submitted_attempt_is_a_conflict_pointing_at_the_review(signed_in, exam):
    attempt = start(signed_in, exam)
    attempts.submit_attempt(attempt)  # e.g. from a second tab

    response = autosave(signed_in, attempt, 1, [])

    assert response.status_code == 409
    assert response.json()["redirect"] == reverse("exams:review", args=[attempt.pk])


def test_autosave_is_protected_against_csrf(collector, exam):
    attempt = attempts.start_attempt(collector, exam)
    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)
    assert autosave(client, attempt, 1, []).status_code == 403


# --- Without JavaScript -------------------------------------------------------------------------


def test_the_plain_form_saves_every_answer(signed_in, exam):
    attempt = start(signed_in, exam)
    first = attempt.questions.get(position=1).choice_order[0]
    response = signed_in.post(
        reverse("exams:save", args=[attempt.pk]),
        {"answers_included": "1", "q-1": str(first), "save": "1"},
    )
    assert response.status_code == 302
    assert dict(attempt.questions.values_list("position", "response")) == {
        1: [first],
        2: None,
        3: None,
    }


def test_finishing_asks_for_confirmation_with_the_unanswered_count(signed_in, exam):
    attempt = start(signed_in, exam)
    first = attempt.questions.get(position=1).choice_order[0]
    response = signed_in.post(
        reverse("exams:submit", args=[attempt.pk]), {"answers_included": "1", "q-1": str(first)}
    )
    assert response.status_code == 200
    assert response.context["unanswered"] == [2, 3]
    assert 'name="confirm" value="1"' in response.text
    attempt.refresh_from_db()
    assert attempt.is_open
    assert attempt.questions.get(position=1).response == [first]


def test_confirming_grades_the_attempt_and_shows_the_review(signed_in, exam):
    attempt = start(signed_in, exam)
    rights = right_choices(attempt)
    for position in (1, 2):
        autosave(signed_in, attempt, position, [rights[position]])

    response = signed_in.post(
        reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("2.00"),
        Decimal("66.67"),
        True,
    )
    assert "66.67%" in response.text


def test_submitting_twice_gives_one_result(signed_in, exam):
    attempt = start(signed_in, exam)
    url = reverse("exams:submit", args=[attempt.pk])
    signed_in.post(url, {"confirm": "1"})
    attempt.refresh_from_db()
    first = (attempt.submitted_at, attempt.score)
    again = signed_in.post(url, {"confirm": "1"})
    assert again["Location"] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.score) == first


def test_the_timer_running_out_submits_with_the_answers_on_screen(signed_in, exam):
    """At zero the page posts the form with confirm=1; within the grace it still counts."""
    attempt = start(signed_in, exam)
    rights = right_choices(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=2))
    signed_in.post(
        reverse("exams:submit", args=[attempt.pk]),
        {"answers_included": "1", "confirm": "1", "q-3": str(rights[3])},
    )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.score == Decimal("1.00")


def test_opening_an_expired_attempt_closes_it_and_shows_the_result(signed_in, exam):
    attempt = start(signed_in, exam)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    response = signed_in.get(reverse("exams:attempt", args=[attempt.pk]))
    assert response["Location"] == reverse("exams:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.TIMED_OUT


# --- Review and history -------------------------------------------------------------------------


def review_setup(signed_in, policy: str):
    regulation = Regulation.objects.create(
        statute="中华人民共和国刑法",
        short_name="刑法",
        article_label="第二百九十三条之一",
        article_no="293-1",
        topic="criminal_law",
        text="有下列情形之一，催收高利放贷等产生的非法债务，情节严重的……",
        version="2021",
        source="全国人大",
    )
    bank = make_bank()
    make_question(
        bank,
        choices=[("合法催收", "1", "选项反馈甲"), ("暴力催收", "0", "选项反馈乙")],
        explanation="<p>题目解析内容</p>",
        regulation=regulation,
    )
    exam = make_exam([{"bank": bank, "count": 1}], review_policy=policy)
    attempt = start(signed_in, exam)
    wrong = attempt.questions.get().choice_order[1]
    autosave(signed_in, attempt, 1, [wrong])
    signed_in.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})
    return signed_in.get(reverse("exams:review", args=[attempt.pk])), regulation


def test_review_with_score_only_shows_no_questions(signed_in):
    response, _regulation = review_setup(signed_in, "score")
    assert response.status_code == 200
    assert response.context["questions"] == []
    assert "<strong>0</strong> / 1" in response.text
    assert "暴力催收" not in response.text


def test_review_with_marks_shows_right_or_wrong_but_not_the_answers(signed_in):
    response, _regulation = review_setup(signed_in, "marks")
    assert "outcome-wrong" in response.text
    assert "暴力催收" in response.text
    assert "tag-right" not in response.text
    assert "选项反馈" not in response.text and "题目解析内容" not in response.text


def test_full_review_shows_answers_feedback_explanation_and_the_regulation(signed_in):
    response, regulation = review_setup(signed_in, "full")
    assert "tag-right" in response.text
    assert "选项反馈甲" in response.text and "选项反馈乙" in response.text
    assert "题目解析内容" in response.text
    assert reverse("regulation_detail", args=[regulation.pk]) in response.text


def test_an_open_attempt_has_no_review_yet(signed_in, exam):
    attempt = start(signed_in, exam)
    response = signed_in.get(reverse("exams:review", args=[attempt.pk]))
    assert response["Location"] == reverse("exams:attempt", args=[attempt.pk])


def test_history_lists_only_my_attempts_with_their_results(signed_in, exam, other_collector):
    mine = start(signed_in, exam)
    signed_in.post(reverse("exams:submit", args=[mine.pk]), {"confirm": "1"})
    theirs = attempts.start_attempt(other_collector, exam)

    response = signed_in.get(reverse("exams:history"))

    assert response.status_code == 200
    assert list(response.context["attempts"]) == [mine]
    assert reverse("exams:review", args=[mine.pk]) in response.text
    assert reverse("exams:attempt", args=[theirs.pk]) not in response.text
    assert exam.title in response.text


def test_history_needs_a_login(client):
    response = client.get(reverse("exams:history"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_preview_of_the_exam_page_renders_without_a_start_button(rf, exam, trainer):
    request = rf.get("/")
    request.user = trainer
    response = exam.make_preview_request(request)
    assert response.status_code == 200
    content = response.content.decode()
    assert exam.title in content
    assert reverse("exams:start", args=[exam.pk]) not in content
