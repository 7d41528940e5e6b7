"""The public application pages (/firms/apply/): start, the link, the draft, submit, status.

Everything goes through HTTP as an applicant's browser would; emails are read from the outbox
(on-commit callbacks run, as after a real request)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import FirmStatus
from lms.admission.application import refusal_reason
from lms.admission.models import (
    Answer,
    Application,
    ApplicationStatus,
    Conclusion,
    Condition,
    Decision,
    DecisionState,
    LicenceDocument,
    Question,
    Questionnaire,
)
from tests import upload_samples as samples
from tests.admission.apply_helpers import CODE, link_in, page_data, start_data
from tests.factories import FirmFactory, credit_code

pytestmark = pytest.mark.django_db

START = "/firms/apply/"


@pytest.fixture
def started(client, django_capture_on_commit_callbacks):
    """A draft started on the public page: (application, the path of its link)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, start_data())
    assert response.status_code == 302
    application = Application.objects.get()
    (email,) = mail.outbox
    path = link_in(email.body)
    assert response["Location"].endswith(path)
    mail.outbox.clear()
    return application, path


def test_start_page_is_chinese_and_links_the_scoring_method(client):
    response = client.get(START)
    assert response.status_code == 200
    html = response.content.decode()
    assert "申请" in html
    assert reverse("admission:scoring") in html
    assert reverse("admission:resend_link") in html
    assert 'name="viewport"' in html


def test_starting_creates_a_draft_and_emails_the_link(started, client):
    application, path = started
    assert application.status == ApplicationStatus.DRAFT
    assert application.questionnaire == Questionnaire.current("agency")
    assert application.created_by is None
    assert application.access_token_hash and application.access_token_hash not in path
    page = client.get(path)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    assert "明镜资产管理有限公司" in page.content.decode()


def test_an_unknown_link_is_not_found(client):
    assert client.get("/firms/apply/r/not-a-real-token/").status_code == 404
    assert client.get("/firms/apply/r/" + "x" * 200 + "/").status_code == 404


@pytest.mark.parametrize("status", [FirmStatus.ADMITTED, FirmStatus.PENDING, FirmStatus.BANNED])
def test_a_refused_credit_code_says_why_and_keeps_what_was_typed(client, status):
    FirmFactory(credit_code=CODE, status=status)
    response = client.post(START, start_data())
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["credit_code"])
    assert errors
    assert Application.objects.count() == 0
    assert "明镜资产管理有限公司" in response.content.decode()  # what was typed is shown again


def test_refusal_reasons_are_distinct(client):
    """Each refusal gives its own reason, in English too."""
    admitted = FirmFactory(status=FirmStatus.ADMITTED)
    pending = FirmFactory(status=FirmStatus.PENDING)
    banned = FirmFactory(status=FirmStatus.BANNED)
    suspended = FirmFactory(status=FirmStatus.SUSPENDED)
    reasons = {refusal_reason(firm.credit_code) for firm in (admitted, pending, banned)}
    assert len(reasons) == 3 and None not in reasons
    assert refusal_reason(suspended.credit_code) is None
    assert refusal_reason(credit_code(5)) is None
    assert refusal_reason(" " + admitted.credit_code.lower()) is not None  # normalised


def test_a_code_with_a_submitted_application_is_refused(client, started):
    application, _path = started
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.SUBMITTED)
    response = client.post(START, start_data(contact_email="someone.else@example.com"))
    assert "credit_code" in response.context["form"].errors
    assert Application.objects.count() == 1


@pytest.mark.parametrize("code", ["91110000123456789X", "ABC", "9111000012345678\x0091"])
def test_an_invalid_credit_code_is_a_field_error(client, code):
    response = client.post(START, start_data(credit_code=code))
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert Application.objects.count() == 0


def test_nul_bytes_anywhere_are_field_errors_not_500s(client, started):
    response = client.post(START, start_data(firm_name="坏\x00名字"))
    assert response.status_code == 200
    assert "firm_name" in response.context["form"].errors
    application, path = started
    data = page_data(application, **{"basics-legal_representative": "林\x00法人"})
    response = client.post(path, data)
    assert response.status_code == 200
    assert "legal_representative" in response.context["basics"].errors
    # The licence that passed its check was kept although the page had an error.
    assert application.licences.count() == 1


def test_saving_a_draft_keeps_everything_and_resume_shows_it(client, started):
    application, path = started
    response = client.post(path, page_data(application))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.legal_representative == "林法人"
    assert application.channels == ["phone", "sms"]
    assert application.references.get().lender_name == "晨光消费金融"
    licence = application.licences.get()
    assert licence.content_type == "application/pdf"
    page = client.get(path).content.decode()
    assert "林法人" in page and "licence.pdf" in page


def test_bad_input_shows_errors_and_keeps_typed_text_and_valid_uploads(client, started):
    application, path = started
    question = Question.objects.filter(
        section__questionnaire=application.questionnaire, evidence="required"
    ).first()
    data = page_data(
        application,
        **{
            "basics-registered_capital": "很多",
            "basics-legal_representative": "林法人",
            f"answers-q{question.pk}-evidence": SimpleUploadedFile(
                "evil.pdf", samples.EXE, "application/pdf"
            ),
        },
    )
    response = client.post(path, data)
    assert response.status_code == 200
    assert "registered_capital" in response.context["basics"].errors
    assert f"q{question.pk}-evidence" in response.context["answers_form"].errors
    html = response.content.decode()
    assert "林法人" in html  # typed text shown again
    application.refresh_from_db()
    assert application.legal_representative == ""  # text is saved only when all of it is valid
    assert application.licences.count() == 1  # the valid licence was kept
    assert (
        not Answer.objects.filter(application=application)
        .exclude(evidence="")
        .filter(question=question)
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [("page.html", samples.HTML), ("x.pdf", samples.EXE), ("a.mp3", samples.MP3)],
)
def test_licences_must_be_pdf_jpeg_or_png(client, started, name, data):
    application, path = started
    response = client.post(
        path, page_data(application, **{"licence-file": SimpleUploadedFile(name, data)})
    )
    assert response.status_code == 200
    assert "file" in response.context["licence_form"].errors
    assert application.licences.count() == 0


def test_a_png_licence_is_accepted_and_renamed_by_its_content(client, started):
    application, path = started
    upload = SimpleUploadedFile("scan.jpg", samples.image("PNG"), "image/jpeg")
    assert client.post(path, page_data(application, **{"licence-file": upload})).status_code == 302
    licence = application.licences.get()
    assert licence.content_type == "image/png"
    assert licence.file.name.endswith(".png")


def test_an_oversized_licence_is_refused(client, started, settings):
    application, path = started
    big = SimpleUploadedFile("big.pdf", samples.PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = client.post(path, page_data(application, **{"licence-file": big}))
    assert "10" in " ".join(response.context["licence_form"].errors["file"])
    assert application.licences.count() == 0


def test_files_are_downloadable_by_the_link_only(client, started):
    application, path = started
    client.post(path, page_data(application))
    licence = application.licences.get()
    answer = application.answers.exclude(evidence="").first()
    response = client.get(reverse("admission:licence", args=[path.split("/")[-2], licence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == samples.PDF
    evidence_url = reverse("admission:evidence", args=[path.split("/")[-2], answer.question_id])
    assert client.get(evidence_url).status_code == 200
    # Another application's link cannot reach this licence.
    with_other = client.post(START, start_data(credit_code=credit_code(7), contact_email="x@x.cn"))
    other_token = with_other["Location"].rstrip("/").split("/")[-1]
    assert (
        client.get(reverse("admission:licence", args=[other_token, licence.pk])).status_code == 404
    )
    assert (
        client.get(
            reverse("admission:evidence", args=[other_token, answer.question_id])
        ).status_code
        == 404
    )
    # Private storage: the file is not under the public media root.
    assert "private" in licence.file.storage.location


def test_removing_a_licence(client, started):
    application, path = started
    client.post(path, page_data(application))
    licence = application.licences.get()
    response = client.post(
        path, page_data(application, licence=False, remove_licence=str(licence.pk))
    )
    assert response.status_code == 302
    assert not LicenceDocument.objects.filter(pk=licence.pk).exists()


def test_submit_reports_every_problem_at_once_and_keeps_the_draft(client, started):
    application, path = started
    data = page_data(application, licence=False, action="submit")
    data["basics-legal_representative"] = ""
    data["basics-channels"] = []
    for key in [k for k in data if k.endswith("-option") or k.endswith("-evidence")]:
        del data[key]
    response = client.post(path, data)
    assert response.status_code == 200
    problems = response.context["problems"]
    choice_questions = Question.objects.filter(
        section__questionnaire=application.questionnaire, kind="choice"
    ).count()
    required_evidence = Question.objects.filter(
        section__questionnaire=application.questionnaire, evidence="required"
    ).count()
    # legal representative + channels + business licence + every choice + every evidence
    assert len(problems) == 3 + choice_questions + required_evidence
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.registered_address  # the rest was saved as a draft


def test_submit_sends_a_receipt_and_the_link_then_shows_the_status(
    client, started, django_capture_on_commit_callbacks
):
    application, path = started
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, page_data(application, action="submit"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    (receipt,) = mail.outbox
    assert receipt.to == ["apply@example.com"]
    assert application.credit_code in receipt.body
    page = client.get(path)
    html = page.content.decode()
    assert "已提交" in html or "提交" in html
    assert 'name="action"' not in html  # no form any more
    # A submitted application cannot be changed through the link.
    client.post(path, page_data(application, **{"basics-firm_name": "改名"}))
    application.refresh_from_db()
    assert application.firm_name == "明镜资产管理有限公司"


def test_a_lender_application_has_no_agency_fields(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(START, start_data(firm_kind="lender", credit_code=credit_code(11)))
    application = Application.objects.get()
    path = link_in(mail.outbox[0].body)
    html = client.get(path).content.decode()
    assert "basics-channels" not in html and "references-TOTAL_FORMS" not in html
    response = client.post(path, page_data(application, action="submit"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_two_submissions_for_one_code_cannot_both_be_pending(client, started):
    application, path = started
    second = client.post(START, start_data(contact_email="second@example.com"))
    other = Application.objects.exclude(pk=application.pk).get()
    other_path = second["Location"].replace("http://testserver", "")
    assert client.post(path, page_data(application, action="submit")).status_code == 302
    response = client.post(other_path, page_data(other, action="submit"))
    assert response.status_code == 200
    reason = refusal_reason(CODE, exclude=other)
    assert reason and response.context["basics"].errors["credit_code"] == [reason]
    other.refresh_from_db()
    assert other.status == ApplicationStatus.DRAFT


def test_the_race_guard_is_the_unique_constraint(client, started, monkeypatch):
    """If the check passes for both (a race), the database refuses the second submit."""
    from lms.admission import application as service

    application, path = started
    second = client.post(START, start_data(contact_email="second@example.com"))
    other = Application.objects.exclude(pk=application.pk).get()
    client.post(path, page_data(application, action="submit"))
    client.post(second["Location"], page_data(other))
    monkeypatch.setattr(service, "refusal_reason", lambda code, exclude=None: None)
    with pytest.raises(service.SubmitRefused):
        service.submit(other)
    other.refresh_from_db()
    assert other.status == ApplicationStatus.DRAFT


def test_status_page_shows_the_outcome_and_conditions_without_reviewer_names(
    client, started, admission_reviewer
):
    application, path = started
    client.post(path, page_data(application, action="submit"))
    application.refresh_from_db()
    application.status = ApplicationStatus.CONDITIONAL
    application.save()
    decision = Decision.objects.create(
        application=application,
        conclusion=Conclusion.CONDITIONAL,
        state=DecisionState.EFFECTIVE,
        reasons="内部理由，不给申请人看",
        proposed_by=admission_reviewer,
        valid_until=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    Condition.objects.create(
        decision=decision, text="三个月内完成全员合规培训", due_on=timezone.localdate()
    )
    html = client.get(path).content.decode()
    assert "三个月内完成全员合规培训" in html
    assert admission_reviewer.legal_name not in html
    assert "内部理由" not in html


def test_resend_link_answers_the_same_and_replaces_the_old_link(
    client, started, django_capture_on_commit_callbacks
):
    application, path = started
    url = reverse("admission:resend_link")
    client.get(url)  # shows (and so clears) the "draft saved" message from starting
    with django_capture_on_commit_callbacks(execute=True):
        wrong = client.post(url, {"credit_code": CODE, "contact_email": "nobody@example.com"})
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        right = client.post(
            url, {"credit_code": CODE.lower(), "contact_email": "APPLY@example.com"}
        )
    assert wrong.status_code == right.status_code == 200
    for response in (wrong, right):  # the same page either way
        assert "admission/link_sent.html" in [t.name for t in response.templates]
    (email,) = mail.outbox
    new_path = link_in(email.body)
    assert new_path != path
    assert client.get(path).status_code == 404  # the old link stopped working
    assert client.get(new_path).status_code == 200


def test_scoring_method_page_shows_weights_and_thresholds(client):
    agency = Questionnaire.current("agency")
    response = client.get(reverse("admission:scoring"))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(agency.admit_score) in html and str(agency.conditional_score) in html
    for section in agency.sections.all():
        assert section.title in html
    assert "Questionnaire" not in html  # Chinese by default


def test_no_published_questionnaire_means_that_kind_cannot_apply(client):
    Questionnaire.objects.filter(firm_kind="lender").update(status="retired")
    response = client.post(START, start_data(firm_kind="lender"))
    assert "firm_kind" in response.context["form"].errors


def test_starting_and_asking_for_links_are_rate_limited_per_client(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ADMISSION_APPLY_RATE = "2/h"
    resend = reverse("admission:resend_link")
    assert client.post(START, start_data()).status_code == 302
    assert client.post(resend, {"credit_code": CODE, "contact_email": "a@b.cn"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(START, start_data(credit_code=credit_code(9)))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.context["form"].non_field_errors()
    assert "明镜资产管理有限公司" in refused.content.decode()  # what was typed is shown again
    assert Application.objects.count() == 1
    assert client.post(resend, {"credit_code": CODE, "contact_email": "a@b.cn"}).status_code == 429
