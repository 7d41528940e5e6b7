"""The applications listing and review page: who sees them, start review, judgement scores,
the scores per section and in total, blockers, evidence, readiness, conflict of interest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts.models import MembershipRole
from lms.admission.models import (
    Answer,
    ApplicationStatus,
    Conclusion,
    Condition,
    CooperationReference,
    Decision,
    DecisionState,
    Question,
    QuestionKind,
    ReviewKind,
)
from tests.admission.review_fixtures import judgement_questions, make_application
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

INDEX = "admission_applications:index"


def review_url(application) -> str:
    return reverse("admission_applications:review", args=[application.pk])


def start_url(application) -> str:
    return reverse("admission_applications:start_review", args=[application.pk])


def score_data(application, score: str, note: str = "核查通过") -> dict[str, str]:
    data = {}
    for question in judgement_questions(application):
        data[f"score_{question.pk}"] = score
        data[f"note_{question.pk}"] = note
    return data


def test_admission_reviewer_lands_on_the_listing_and_sees_applications(client, admission_reviewer):
    application = make_application()
    signed_in(client, admission_reviewer)
    response = client.get(reverse(INDEX))
    assert response.status_code == 200
    assert application.firm_name in response.content.decode()
    assert review_url(application) in response.content.decode()


def test_listing_filters_by_status_kind_and_review_and_searches_credit_code(
    client, admission_reviewer
):
    submitted = make_application(number=1)
    draft = make_application(number=2, status=ApplicationStatus.DRAFT)
    signed_in(client, admission_reviewer)
    by_status = client.get(reverse(INDEX), {"status": "draft"}).content.decode()
    assert draft.firm_name in by_status and submitted.firm_name not in by_status
    by_review = client.get(reverse(INDEX), {"review_kind": "reassessment"}).content.decode()
    assert submitted.firm_name not in by_review
    by_kind = client.get(reverse(INDEX), {"firm_kind": "agency"}).content.decode()
    assert submitted.firm_name in by_kind and draft.firm_name in by_kind
    found = client.get(reverse(INDEX), {"q": submitted.credit_code[-8:]}).content.decode()
    assert submitted.firm_name in found and draft.firm_name not in found


@pytest.mark.parametrize("persona", ["collector", "manager", "trainer", "reviewer", "auditor"])
def test_other_roles_see_no_application(client, request, persona):
    application = make_application()
    user = request.getfixturevalue(persona)
    signed_in(client, user)
    for url in (reverse(INDEX), review_url(application)):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert application.firm_name not in response.content.decode()
    response = client.post(start_url(application))
    assert response.status_code in (302, 403)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_anonymous_is_sent_to_sign_in(client):
    application = make_application()
    response = client.get(review_url(application))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_review_page_shows_basics_licences_evidence_and_section_scores(client, admission_reviewer):
    application = make_application()
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert application.credit_code in body
    assert "营业执照.pdf" in body
    licence = application.licences.get()
    assert reverse("admission_applications:licence", args=[licence.pk]) in body
    evidence = application.answers.exclude(evidence="").first()
    assert reverse("admission_applications:evidence", args=[evidence.pk]) in body
    # The first section is all choice questions answered with 100 points.
    assert "data-section-score>100.00<" in body
    # Judgement questions are not scored yet: no total, no suggestion.
    assert "data-total>" in body and "/ 100" not in body
    assert "data-start-review" in body


def test_start_review_puts_it_under_review_by_the_reviewer(
    client, admission_reviewer, second_admission_reviewer
):
    application = make_application()
    signed_in(client, admission_reviewer)
    response = client.post(start_url(application))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.reviewer == admission_reviewer
    assert application.review_started_at is not None
    # Taken on again by someone else: refused with a message, the reviewer stays.
    client.logout()
    signed_in(client, second_admission_reviewer)
    response = client.post(start_url(application), follow=True)
    assert "data-start-review" not in response.content.decode()
    assert any(m.level_tag == "error" for m in response.context["messages"])
    application.refresh_from_db()
    assert application.reviewer == admission_reviewer


def test_a_draft_cannot_be_taken_on(client, admission_reviewer):
    application = make_application(status=ApplicationStatus.DRAFT)
    signed_in(client, admission_reviewer)
    client.post(start_url(application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_judgement_scores_give_the_total_per_section_and_the_suggestion(client, admission_reviewer):
    application = make_application(status=ApplicationStatus.UNDER_REVIEW)
    signed_in(client, admission_reviewer)
    response = client.post(review_url(application), score_data(application, "70"))
    assert response.status_code == 302
    answers = Answer.objects.filter(application=application, reviewer_score__isnull=False)
    assert answers.count() == 2
    assert {a.scored_by for a in answers} == {admission_reviewer}
    body = client.get(review_url(application)).content.decode()
    # Sections: 100, (2·100 + 2·100 + 2·70)/6 = 90, (100 + 2·70)/3 = 80; the metric section
    # does not count on a first application. Total (2·100 + 2·90 + 80)/5 = 92.
    assert "data-section-score>90.00<" in body
    assert "data-section-score>80.00<" in body
    assert "data-total>92.00 / 100" in body
    assert f"data-suggestion>{Conclusion.ADMITTED.label}<" in body
    assert "核查通过" in body


def test_a_score_out_of_range_is_refused_and_what_was_typed_stays(client, admission_reviewer):
    application = make_application(status=ApplicationStatus.UNDER_REVIEW)
    signed_in(client, admission_reviewer)
    data = score_data(application, "150", note="保留我的备注")
    response = client.post(review_url(application), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="150"' in body
    assert "保留我的备注" in body
    assert not Answer.objects.filter(application=application, reviewer_score__isnull=False)


def test_scores_are_refused_before_the_review_starts(client, admission_reviewer):
    application = make_application()
    signed_in(client, admission_reviewer)
    assert "data-score-form" not in client.get(review_url(application)).content.decode()
    client.post(review_url(application), score_data(application, "70"))
    assert not Answer.objects.filter(application=application, reviewer_score__isnull=False)


def test_blocker_answers_are_highlighted_and_suggest_rejection(client, admission_reviewer):
    application = make_application(status=ApplicationStatus.UNDER_REVIEW, blocker=True)
    signed_in(client, admission_reviewer)
    client.post(review_url(application), score_data(application, "100"))
    body = client.get(review_url(application)).content.decode()
    assert "data-blockers" in body
    assert "is-blocker" in body
    assert f"data-suggestion>{Conclusion.REJECTED.label}<" in body


def test_missing_required_evidence_is_pointed_out(client, admission_reviewer):
    application = make_application(with_evidence=False)
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert "Required evidence is missing" in body or "缺少" in body


def test_contact_person_cannot_review_their_own_application(client, admission_reviewer):
    application = make_application(contact_email=admission_reviewer.email.upper())
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert "data-refusal" in body
    assert "data-start-review" not in body
    client.post(start_url(application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_a_reviewer_working_for_the_firm_cannot_start_or_score(
    client, admission_reviewer, second_admission_reviewer
):
    firm = FirmFactory()
    application = make_application(
        status=ApplicationStatus.UNDER_REVIEW,
        review_kind=ReviewKind.REASSESSMENT,
        firm=firm,
        credit_code=firm.credit_code,
    )
    MembershipFactory(firm=firm, user=admission_reviewer, role=MembershipRole.MANAGER)
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert "data-refusal" in body and "data-score-form" not in body
    response = client.post(review_url(application), score_data(application, "90"))
    assert response.status_code == 403
    assert not Answer.objects.filter(application=application, reviewer_score__isnull=False)
    # Another reviewer, without the conflict, may.
    client.logout()
    signed_in(client, second_admission_reviewer)
    assert "data-score-form" in client.get(review_url(application)).content.decode()


def test_the_reviewer_who_entered_it_cannot_review_it(client, admission_reviewer):
    application = make_application(created_by=admission_reviewer)
    signed_in(client, admission_reviewer)
    client.post(start_url(application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_superuser_reviews_like_a_reviewer(client, admin_user):
    application = make_application()
    signed_in(client, admin_user)
    client.post(start_url(application))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_readiness_numbers_of_a_reassessment_are_shown_with_their_labels(
    client, admission_reviewer
):
    firm = FirmFactory()
    application = make_application(
        review_kind=ReviewKind.REASSESSMENT,
        firm=firm,
        credit_code=firm.credit_code,
        readiness={
            "active_collectors": 25,
            "certified_share": "88.00",
            "findings_per_100": "4.00",
            "flag_reasons": ["certified_share"],
        },
    )
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert "data-readiness" in body
    assert "88.00" in body and "4.00" in body
    # Flags in plain words, as the dashboard shows them, not their codes.
    assert "持有全部必需证书的在职催收员不足 80%" in body
    assert ">certified_share<" not in body and "certified_share," not in body


def test_decisions_so_far_are_listed(client, admission_reviewer, second_admission_reviewer):
    application = make_application(status=ApplicationStatus.AWAITING_CONFIRMATION)
    Decision.objects.create(
        application=application,
        conclusion=Conclusion.BANNED,
        state=DecisionState.PROPOSED,
        reasons="经核实存在暴力催收",
        score=Decimal("40.00"),
        proposed_by=second_admission_reviewer,
    )
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    assert "经核实存在暴力催收" in body
    assert "待第二审核员确认" in body  # the proposal's state, in the decision panel


def count_review_queries(client, application) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(review_url(application)).status_code == 200
    return len(queries)


def add_file_contents(application, scorers, *, size: int) -> None:
    """Judgement scores by ``scorers``, and ``size`` references, decisions and conditions each."""
    for question, who in zip(judgement_questions(application), scorers, strict=False):
        Answer.objects.update_or_create(
            application=application,
            question=question,
            defaults={"reviewer_score": Decimal(80), "scored_by": who},
        )
    for number in range(size):
        CooperationReference.objects.create(
            application=application, lender_name=f"银行{number}", from_year=2015 + number
        )
        decision = Decision.objects.create(
            application=application,
            conclusion=Conclusion.CONDITIONAL,
            state=DecisionState.DECLINED,
            reasons=f"第{number}次",
            proposed_by=scorers[0],
        )
        for day in range(1, size + 1):
            Condition.objects.create(decision=decision, text=f"条件{day}", due_on=f"2027-01-0{day}")


def test_the_review_page_makes_as_many_queries_for_a_large_file_as_for_a_small_one(
    client, admission_reviewer, second_admission_reviewer
):
    small_file = make_application(number=1, status=ApplicationStatus.UNDER_REVIEW)
    add_file_contents(small_file, [admission_reviewer], size=1)
    large_file = make_application(number=2, status=ApplicationStatus.UNDER_REVIEW)
    add_file_contents(large_file, [admission_reviewer, second_admission_reviewer], size=3)
    signed_in(client, admission_reviewer)
    client.get(review_url(small_file))  # warm the session and permission caches
    assert count_review_queries(client, large_file) == count_review_queries(client, small_file)


def test_metric_questions_of_a_reassessment_are_scored_from_the_measured_values(
    client, admission_reviewer
):
    firm = FirmFactory()
    application = make_application(
        review_kind=ReviewKind.REASSESSMENT, firm=firm, credit_code=firm.credit_code
    )
    metrics = Question.objects.filter(
        section__questionnaire=application.questionnaire, kind=QuestionKind.METRIC
    )
    # certified_share 50→0 … 100→100; findings 10→0 … 0→100; overdue 20→0 … 0→100.
    values = {"certified_share": "75", "findings_per_100": "5", "overdue_per_100": "10"}
    for question in metrics:
        Answer.objects.create(
            application=application, question=question, metric_value=values[question.metric]
        )
    signed_in(client, admission_reviewer)
    body = client.get(review_url(application)).content.decode()
    # Each scores 50, so the readiness section scores 50.
    assert "data-section-score>50.00<" in body


def test_a_note_with_a_nul_byte_is_refused_and_nothing_is_saved(client, admission_reviewer):
    application = make_application(status=ApplicationStatus.UNDER_REVIEW)
    signed_in(client, admission_reviewer)
    response = client.post(review_url(application), score_data(application, "70", note="a\x00b"))
    assert response.status_code == 400
    assert not Answer.objects.filter(application=application, reviewer_score__isnull=False)


def test_an_id_beyond_bigint_is_not_found(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    response = client.get(f"/admin/admission/applications/{10**20}/")
    assert response.status_code == 404
