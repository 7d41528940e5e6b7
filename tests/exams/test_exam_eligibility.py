"""Who may start an exam, and what the exam page and the fail page tell them (issue 11, item 1).

Through HTTP, as a collector uses it: the final exam of a certification programme lists the
courses still to complete and refuses to start (also for a hand-made POST); completing them
opens it; an exam marked open to anyone starts without them. Before the last attempt the page
warns; after a fail, the result page says what to do next and links the lessons that teach the
articles the missed questions cite.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from content.models import Regulation
from courses.citations import lessons_citing
from exams.certificates.models import CertificationProgramme
from exams.models import Attempt, AttemptStatus, ExamPage

from ..courses.pages import add_lesson, make_course
from .certificate_factories import complete_course
from .factories import fill_bank, make_bank, make_exam, make_question

pytestmark = pytest.mark.django_db


def make_regulation(article_no: str, label: str, **fields) -> Regulation:
    fields.setdefault("version", "2025")
    return Regulation.objects.create(
        statute="中华人民共和国治安管理处罚法",
        short_name="治安管理处罚法",
        article_label=label,
        article_no=article_no,
        topic="public_security",
        text="非法限制他人人身自由、非法侵入他人住宅或者非法搜查他人身体的……",
        source="全国人大常委会",
        **fields,
    )


def citing_lesson(course, slug: str, title: str, regulation: Regulation):
    return add_lesson(
        course,
        title,
        slug=slug,
        body=[{"type": "citation", "value": {"regulation": regulation.pk, "note": ""}}],
    )


@pytest.fixture
def exam(db) -> ExamPage:
    bank = make_bank()
    fill_bank(bank, 2)
    return make_exam(
        [{"bank": bank, "count": 2}],
        title="合规催收上岗考试",
        max_attempts=3,
        cooldown_hours=24,
        pass_mark_percent=60,
    )


@pytest.fixture
def courses(db):
    return [
        make_course(slug="banking", title="银行业监管规定", lessons=2),
        make_course(slug="psl", title="治安管理处罚法", lessons=1),
    ]


@pytest.fixture
def programme(exam, courses) -> CertificationProgramme:
    programme = CertificationProgramme.objects.create(
        name="合规催收从业资格", code="compliant-collection", final_exam=exam
    )
    programme.required_courses.set(courses)
    programme.save()
    return programme


@pytest.fixture
def signed_in(client, collector):
    client.force_login(collector)
    return client


def start(client, exam):
    return client.post(reverse("exams:start", args=[exam.pk]), follow=True)


def submit_wrong(client, attempt: Attempt) -> None:
    """Answer every question with a wrong option and submit."""
    for row in attempt.questions.select_related("version"):
        wrong = [c["id"] for c in row.version.data["choices"] if float(c["fraction"]) <= 0][:1]
        client.post(
            reverse("exams:save", args=[attempt.pk]),
            {"position": row.position, "choices": wrong},
            content_type="application/json",
        )
    client.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})


# --- Gating by the programme's courses ----------------------------------------------------------


def test_the_exam_page_lists_the_missing_courses_with_links_and_offers_no_start(
    signed_in, exam, programme, courses, collector
):
    complete_course(collector, courses[1])

    response = signed_in.get(exam.url)

    assert response.status_code == 200
    html = response.text
    assert "完成合规催收从业资格的课程后才能开始本考试。" in html
    assert "还有 1 门课程未完成：" in html
    assert f'<a href="{courses[0].url}">银行业监管规定</a>' in html
    assert "已完成 0 / 2 课" in html
    assert f'href="{courses[1].url}">治安管理处罚法</a>' not in html  # completed: not listed
    assert reverse("exams:start", args=[exam.pk]) not in html  # no start button


def test_a_start_posted_before_the_courses_are_done_is_refused_and_takes_no_attempt(
    signed_in, exam, programme
):
    response = start(signed_in, exam)

    assert response.redirect_chain[-1][0] == exam.url
    assert "完成合规催收从业资格的课程后才能开始本考试。" in response.text
    assert not Attempt.objects.exists()


def test_after_completing_every_course_the_collector_can_start(
    signed_in, exam, programme, courses, collector
):
    for course in courses:
        complete_course(collector, course)

    page = signed_in.get(exam.url)
    assert "开始考试" in page.text
    assert "课程未完成" not in page.text
    response = start(signed_in, exam)

    attempt = Attempt.objects.get(user=collector)
    assert response.redirect_chain[-1][0] == reverse("exams:attempt", args=[attempt.pk])


def test_an_exam_open_to_anyone_starts_without_the_programmes_courses(
    signed_in, exam, programme, collector
):
    exam.open_to_anyone = True
    exam.save_revision().publish()

    start(signed_in, exam)

    assert Attempt.objects.filter(user=collector).count() == 1


def test_an_inactive_programme_does_not_gate_its_exam(signed_in, exam, programme, collector):
    programme.is_active = False
    programme.save()

    start(signed_in, exam)

    assert Attempt.objects.filter(user=collector).count() == 1


def test_an_exam_in_two_programmes_opens_when_either_programmes_courses_are_done(
    signed_in, exam, programme, collector
):
    short = make_course(slug="short", title="沟通降级技巧", lessons=1)
    other = CertificationProgramme.objects.create(
        name="沟通技巧认证", code="de-escalation", final_exam=exam
    )
    other.required_courses.set([short])
    other.save()
    complete_course(collector, short)

    start(signed_in, exam)

    assert Attempt.objects.filter(user=collector).count() == 1


def test_trainers_can_mark_an_exam_open_to_anyone_in_the_editor(exam):
    panel_fields = exam.get_edit_handler().get_form_options()["fields"]
    assert "open_to_anyone" in panel_fields


# --- Warnings before an attempt ------------------------------------------------------------------


def test_the_page_says_when_the_next_attempt_would_be_possible_after_a_fail(signed_in, exam):
    response = signed_in.get(exam.url)

    assert "如未通过，交卷 24 小时后可以再考" in response.text
    assert "本次之后还剩 2 次机会。" in response.text
    assert "这是你的最后一次机会" not in response.text


def test_before_the_last_attempt_the_page_warns_that_it_is_the_last(signed_in, exam, collector):
    long_ago = timezone.now() - timedelta(days=3)
    for number in (1, 2):
        Attempt.objects.create(
            user=collector,
            exam=exam,
            number=number,
            seed=number,
            status=AttemptStatus.SUBMITTED,
            started_at=long_ago,
            deadline=long_ago + timedelta(minutes=45),
            submitted_at=long_ago + timedelta(minutes=20),
            passed=False,
        )

    response = signed_in.get(exam.url)

    assert "这是你的最后一次机会。" in response.text
    assert "如未通过，将不能再参加本考试。" in response.text
    assert "开始考试" in response.text


# --- The fail page ------------------------------------------------------------------------------


def test_the_fail_page_says_how_many_attempts_are_left_when_and_which_lessons_to_revisit(
    signed_in, collector
):
    old_edition = make_regulation("42", "第四十二条", version="2012")
    article = make_regulation("47", "第四十七条")
    old_edition.superseded_by = article
    old_edition.save()
    course = make_course(slug="psl-2025", title="治安管理处罚法要点", lessons=0)
    lesson = citing_lesson(course, "visits", "上门外访的红线", article)
    older = citing_lesson(course, "old", "旧法对照", old_edition)
    make_course(slug="unrelated", title="其他课程", lessons=1)
    bank = make_bank()
    make_question(bank, regulation=article)
    exam = make_exam(
        [{"bank": bank, "count": 1}],
        max_attempts=3,
        cooldown_hours=24,
        review_policy="marks",
        pass_mark_percent=80,
    )
    signed_in.post(reverse("exams:start", args=[exam.pk]))
    attempt = Attempt.objects.get(user=collector)
    submit_wrong(signed_in, attempt)

    response = signed_in.get(reverse("exams:review", args=[attempt.pk]))

    html = response.text
    attempt.refresh_from_db()
    next_start = timezone.localtime(attempt.submitted_at + timedelta(hours=24))
    assert "接下来怎么做" in html
    assert "你还有 2 次机会。" in html
    when = f"{next_start.year}年{next_start.month}月{next_start.day}日 {next_start:%H:%M}"
    assert f"{when} 之后可以开始下一次考试。" in html
    assert "需要复习的课程" in html
    assert [item.title for item in response.context["lessons_to_revisit"]] == [
        "上门外访的红线",
        "旧法对照",
    ]
    assert f'<a href="{lesson.url}">上门外访的红线</a>' in html
    assert f'<a href="{older.url}">旧法对照</a>' in html
    question = response.context["questions"][0]
    assert [item.pk for item in question.lessons] == [lesson.pk, older.pk]


def test_the_pass_page_has_no_next_steps(signed_in, collector, exam):
    signed_in.post(reverse("exams:start", args=[exam.pk]))
    attempt = Attempt.objects.get(user=collector)
    for row in attempt.questions.select_related("version"):
        right = [c["id"] for c in row.version.data["choices"] if float(c["fraction"]) > 0]
        signed_in.post(
            reverse("exams:save", args=[attempt.pk]),
            {"position": row.position, "choices": right},
            content_type="application/json",
        )
    signed_in.post(reverse("exams:submit", args=[attempt.pk]), {"confirm": "1"})

    response = signed_in.get(reverse("exams:review", args=[attempt.pk]))

    assert "通过" in response.text
    assert "接下来怎么做" not in response.text


def test_the_fail_page_after_the_last_attempt_says_none_are_left(signed_in, collector):
    bank = make_bank()
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}], max_attempts=1, pass_mark_percent=80)
    signed_in.post(reverse("exams:start", args=[exam.pk]))
    attempt = Attempt.objects.get(user=collector)
    submit_wrong(signed_in, attempt)

    response = signed_in.get(reverse("exams:review", args=[attempt.pk]))

    assert "你已用完本考试允许的 1 次机会" in response.text


def test_finding_the_lessons_that_cite_articles_costs_four_queries_at_any_size(
    django_assert_num_queries,
):
    course = make_course(slug="many", title="刑法红线", lessons=0)
    articles = [make_regulation(str(100 + n), f"第{100 + n}条") for n in range(6)]
    for number, article in enumerate(articles[:2]):
        citing_lesson(course, f"a{number}", f"课{number}", article)
    lessons_citing([articles[0].pk])  # content types are cached once per process
    with django_assert_num_queries(4):
        small = lessons_citing([articles[0].pk])
    for number, article in enumerate(articles[2:]):
        citing_lesson(course, f"b{number}", f"课b{number}", article)
    with django_assert_num_queries(4):
        large = lessons_citing([article.pk for article in articles])

    assert len(small) == 1
    assert len(large) == 6
