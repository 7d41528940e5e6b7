"""Re-assessments: ``manage.py open_reassessments`` and its daily beat task open one per
admission expiring within 30 days (or expired), pre-filled from the last application with
training readiness measured, email the firm's managers a link, and do nothing the second time.
An expired admission flags the firm; its status never changes."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import FirmKind, FirmStatus
from lms.admission import links, reassessment
from lms.admission.demo_reassessment import seed_reassessments
from lms.admission.models import (
    Answer,
    AnswerOption,
    Application,
    ApplicationStatus,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    ReviewKind,
    Section,
)
from lms.admission.tasks import open_reassessments
from lms.celery import app
from lms.compliance import firm_flags
from lms.lib.demo import DemoReport
from tests.compliance.dashboard_factories import make_collector, make_manager, rate
from tests.exams.certificate_factories import make_programme

from .reassess_factories import (
    decided_application,
    expiring_firm,
)

pytestmark = [pytest.mark.django_db]


def run(capture) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with capture(execute=True):
        call_command("open_reassessments", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def reassessments():
    return Application.objects.filter(review_kind=ReviewKind.REASSESSMENT)


def test_opens_one_prefilled_reassessment_and_emails_the_managers_a_link(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(10, name="晴川资产管理有限公司")
    previous = decided_application(firm)
    boss = make_manager("boss@agency.example", "赵经理", firm)
    deputy = make_manager("deputy@agency.example", "钱副经理", firm)

    out, err = run(django_capture_on_commit_callbacks)

    [application] = reassessments()
    assert f"opened re-assessment #{application.pk} for 晴川资产管理有限公司" in out
    assert "1 re-assessments opened, 0 firms skipped" in out and not err
    assert application.status == ApplicationStatus.DRAFT
    assert application.firm == firm and application.previous == previous
    assert application.questionnaire == Questionnaire.current(FirmKind.AGENCY)
    for name in reassessment.BASICS:
        assert getattr(application, name) == getattr(previous, name), name
    # The contact is the firm's first active manager, not the previous contact person.
    assert (application.contact_name, application.contact_email) == ("赵经理", boss.email)
    assert application.credit_code == firm.credit_code
    assert [r.lender_name for r in application.references.all()] == ["阳光银行"]
    carried = {a.question_id: a for a in previous.answers.all()}
    for answer in application.answers.exclude(question__kind=QuestionKind.METRIC):
        before = carried[answer.question_id]
        assert (answer.option_id, answer.comment) == (before.option_id, before.comment)
        assert answer.reviewer_score is None  # reviewers score afresh
    choice_questions = Question.objects.filter(
        section__questionnaire=application.questionnaire, kind=QuestionKind.CHOICE
    )
    assert application.answers.filter(question__kind=QuestionKind.CHOICE).count() == (
        choice_questions.count()
    )
    assert not application.licences.exists()  # current documents are asked for

    [message] = mail.outbox
    assert sorted(message.to) == [boss.email, deputy.email]
    assert firm.name in message.subject
    application.refresh_from_db()
    [link] = [line for line in message.body.splitlines() if line.startswith("http")]
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert links.application_for_token(token) == application
    assert str(firm.admission_expires_on.year) in message.body


def test_running_again_opens_nothing_and_sends_nothing(django_capture_on_commit_callbacks):
    firm = expiring_firm(5)
    decided_application(firm)
    make_manager("boss@agency.example", "赵经理", firm)

    run(django_capture_on_commit_callbacks)
    out, _err = run(django_capture_on_commit_callbacks)

    assert "0 re-assessments opened" in out
    assert reassessments().count() == 1
    assert len(mail.outbox) == 1
    # The beat task is the same service: nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        assert open_reassessments.delay().get() == 0
    assert reassessments().count() == 1 and len(mail.outbox) == 1


def test_the_window_is_30_days_and_only_admitted_firms_count(django_capture_on_commit_callbacks):
    due = expiring_firm(30)
    expired = expiring_firm(-3)
    later = expiring_firm(31)
    suspended = expiring_firm(2, status=FirmStatus.SUSPENDED)
    no_expiry = expiring_firm(0)
    no_expiry.admission_expires_on = None
    no_expiry.save(update_fields=["admission_expires_on"])

    run(django_capture_on_commit_callbacks)

    assert set(reassessments().values_list("firm", flat=True)) == {due.pk, expired.pk}
    assert not Application.objects.filter(firm__in=[later, suspended, no_expiry]).exists()


def test_an_expired_admission_flags_the_firm_and_never_changes_its_status(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(-1)
    changes = firm.status_changes.count()

    run(django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks)

    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED and firm.admission_expired
    assert firm.status_changes.count() == changes
    [application] = reassessments().filter(firm=firm)
    assert firm_flags.flag_reasons(firm, None) == ["admission_expired"]
    # Readiness counts the training rating's flags only.
    assert "admission_expired" not in application.readiness["flag_reasons"]
    assert application.readiness["flag_count"] == 0


def test_a_decided_reassessment_lets_the_next_one_open(django_capture_on_commit_callbacks):
    firm = expiring_firm(3)
    decided_application(firm)
    run(django_capture_on_commit_callbacks)
    first = reassessments().get()
    first.status = ApplicationStatus.ADMITTED
    first.save(update_fields=["status"])

    run(django_capture_on_commit_callbacks)

    second = reassessments().exclude(pk=first.pk).get()
    assert second.previous == first  # the last decided application is the re-assessment


def test_readiness_is_measured_into_the_application_and_its_metric_answers(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(12)
    decided_application(firm)
    programme = make_programme().programme
    collectors = [make_collector(firm, f"催收员{i}") for i in range(4)]
    for user, status, score in zip(
        collectors, ["valid", "valid", "valid", "expired"], ["90", "80", "70", "40"], strict=True
    ):
        rate(user, grade="B", score=score, firm=firm, certificate_status=status)
    ProgrammeAssignment.objects.create(
        user=collectors[3],
        programme=programme,
        firm=firm,
        due_on=timezone.localdate() - timedelta(days=3),
    )

    run(django_capture_on_commit_callbacks)

    application = reassessments().get()
    readiness = application.readiness
    assert readiness["active_collectors"] == 4
    assert readiness["certified_share"] == 75.0
    assert readiness["mean_score"] == 70.0
    assert readiness["findings_per_100"] == 0.0
    assert readiness["overdue_per_100"] == 25.0
    assert readiness["flag_reasons"] == ["certified_share"]  # below 80 % certified
    assert readiness["flag_count"] == 1
    assert readiness["measured_at"]
    metrics = {
        answer.question.metric: answer.metric_value
        for answer in application.answers.filter(question__kind=QuestionKind.METRIC)
    }
    assert metrics == {
        "certified_share": Decimal("75.00"),
        "findings_per_100": Decimal("0.00"),
        "overdue_per_100": Decimal("25.00"),
    }


def test_an_agency_without_collectors_leaves_the_metric_questions_out(
    django_capture_on_commit_callbacks,
):
    expiring_firm(12)
    run(django_capture_on_commit_callbacks)
    application = reassessments().get()
    assert application.readiness["active_collectors"] == 0
    assert not application.answers.filter(question__kind=QuestionKind.METRIC).exists()


def test_a_lender_is_reassessed_without_readiness_and_contact_from_its_manager(
    django_capture_on_commit_callbacks,
):
    lender = expiring_firm(8, kind=FirmKind.LENDER)
    make_manager("chief@lender.example", "孙行长", lender, phone="13700000000")

    run(django_capture_on_commit_callbacks)

    application = reassessments().get()
    assert application.firm_kind == FirmKind.LENDER and application.readiness == {}
    assert application.previous is None
    assert (application.contact_name, application.contact_email) == (
        "孙行长",
        "chief@lender.example",
    )
    assert mail.outbox[0].to == ["chief@lender.example"]


def test_a_new_questionnaire_version_keeps_answers_with_the_same_text_and_label(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(9)
    previous = decided_application(firm)
    old = Questionnaire.current(FirmKind.AGENCY)
    assert old is not None
    old.status = QuestionnaireStatus.RETIRED
    old.save(update_fields=["status"])
    new = Questionnaire.objects.create(
        firm_kind=FirmKind.AGENCY,
        title="v2",
        version=2,
        status=QuestionnaireStatus.PUBLISHED,
    )
    section = Section.objects.create(questionnaire=new, title="能力", weight=1)
    same_question = previous.answers.filter(question__kind=QuestionKind.CHOICE).first()
    assert same_question is not None
    kept = Question.objects.create(
        section=section, text=same_question.question.text, kind=QuestionKind.CHOICE
    )
    AnswerOption.objects.create(question=kept, label="无关选项", points=0)
    match = AnswerOption.objects.create(question=kept, label=same_question.option.label, points=100)
    relabelled_source = (
        previous.answers.filter(question__kind=QuestionKind.CHOICE)
        .exclude(pk=same_question.pk)
        .first()
    )
    relabelled = Question.objects.create(
        section=section, text=relabelled_source.question.text, kind=QuestionKind.CHOICE
    )
    AnswerOption.objects.create(question=relabelled, label="全新的选项", points=100)
    fresh = Question.objects.create(section=section, text="全新的问题", kind=QuestionKind.CHOICE)
    AnswerOption.objects.create(question=fresh, label="是", points=100)

    run(django_capture_on_commit_callbacks)

    application = reassessments().get()
    assert application.questionnaire == new
    [answer] = Answer.objects.filter(application=application)
    assert (answer.question, answer.option, answer.comment) == (
        kept,
        match,
        same_question.comment,
    )


def test_without_a_published_questionnaire_the_firm_is_skipped_and_said_so(
    django_capture_on_commit_callbacks,
):
    firm = expiring_firm(4, name="无问卷机构")
    Questionnaire.objects.filter(firm_kind=FirmKind.AGENCY).update(
        status=QuestionnaireStatus.RETIRED
    )

    out, err = run(django_capture_on_commit_callbacks)

    assert "0 re-assessments opened, 1 firms skipped" in out
    assert "skipped 无问卷机构" in err and "no published questionnaire" in err
    assert not reassessments().filter(firm=firm).exists()


def test_the_beat_schedule_runs_the_task_daily():
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "lms.admission.tasks.open_reassessments"
    ]
    assert entry["task"] == open_reassessments.name
    assert open_reassessments.name in app.tasks  # the worker knows it by that name
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {10}


def test_the_beat_task_opens_what_is_due(django_capture_on_commit_callbacks):
    firm = expiring_firm(1)
    make_manager("boss@agency.example", "赵经理", firm)
    with django_capture_on_commit_callbacks(execute=True):
        assert open_reassessments.delay().get() == 1
    assert reassessments().filter(firm=firm).count() == 1
    assert len(mail.outbox) == 1


def test_the_demo_step_opens_the_due_demo_admission_once_and_nothing_without_one(
    django_capture_on_commit_callbacks,
):
    lines: list[str] = []
    report = DemoReport(write=lines.append)
    with django_capture_on_commit_callbacks(execute=True):
        seed_reassessments(report)
    assert lines == [] and report.created == 0  # no admission decided at order 110

    firm = expiring_firm(20, name="晴川资产")
    decided_application(firm)
    with django_capture_on_commit_callbacks(execute=True):
        seed_reassessments(report)
        seed_reassessments(report)

    assert report.created == 1
    assert len(lines) == 1 and lines[0].startswith("created re-assessment of 晴川资产")
    assert reassessments().filter(firm=firm).count() == 1
