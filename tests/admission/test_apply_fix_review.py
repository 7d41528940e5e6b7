"""Review fixes on the application pages: a save from a stale page, the stored original file
names, links for re-assessments, the public scoring page's shares, and tokens in the logs.

Through HTTP as the applicant's browser (or the admin) would, except where a page has to be
"stale": then the view is handed the application as it was loaded before something else changed
it, which is what a request racing another one sees."""

from __future__ import annotations

import io
import logging
import logging.config
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.log import DEFAULT_LOGGING

from lms.admission import application as service
from lms.admission import review, scoring, views
from lms.admission.admin_views import staff_apply
from lms.admission.editing import Editor
from lms.admission.links import issue_link
from lms.admission.log_filters import mask
from lms.admission.models import (
    Answer,
    Application,
    ApplicationStatus,
    Question,
    QuestionKind,
    Questionnaire,
    ReviewKind,
)
from lms.settings import base as base_settings
from tests import upload_samples as samples
from tests.admission.apply_helpers import CODE, link_in, page_data, start_data
from tests.conftest import signed_in
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db

START = "/firms/apply/"
REFUSED = "页面打开之后"  # from the refusal's translation: "after this page was opened"


@pytest.fixture
def started(client, django_capture_on_commit_callbacks):
    """A draft started on the public page, every field saved: (application, its link's path)."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(START, start_data())
    application = Application.objects.get()
    path = link_in(mail.outbox[-1].body)
    mail.outbox.clear()
    assert client.post(path, page_data(application)).status_code == 302
    application.refresh_from_db()
    return application, path


def stale_page(monkeypatch, application: Application) -> None:
    """The public views get ``application`` as loaded now, whatever happens to it later."""
    monkeypatch.setattr(views, "application_for_token", lambda token: application)


# --- 1. a save from a stale page --------------------------------------------------------------


def test_a_stale_save_after_submit_and_a_new_link_changes_nothing_and_says_so(
    client, started, monkeypatch, django_capture_on_commit_callbacks
):
    application, path = started
    stale = Application.objects.get(pk=application.pk)  # the page opened while still a draft
    licence = application.licences.get()
    # Meanwhile: submitted, then a new link asked for (a new token hash).
    with django_capture_on_commit_callbacks(execute=True):
        submit = page_data(application, licence=False, action="submit")
        assert client.post(path, submit).status_code == 302
        client.post(
            reverse("admission:resend_link"),
            {"credit_code": CODE, "contact_email": application.contact_email},
        )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    submitted_hash, submitted_at = application.access_token_hash, application.submitted_at
    assert submitted_hash != stale.access_token_hash

    stale_page(monkeypatch, stale)
    data = page_data(
        stale,
        **{"basics-legal_representative": "改过的法人", "remove_licence": str(licence.pk)},
    )
    response = client.post(path, data)

    assert response.status_code == 409
    html = response.content.decode()
    assert REFUSED in html
    assert "改过的法人" in html  # what was typed is shown again
    assert 'value="submit"' not in html  # no button that would pretend to save
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at == submitted_at
    assert application.access_token_hash == submitted_hash
    assert application.legal_representative == "林法人"
    assert list(application.licences.all()) == [licence]  # neither removed nor added to


def test_a_stale_save_after_review_started_keeps_the_review(started, admission_reviewer):
    application, _path = started
    stale = Application.objects.get(pk=application.pk)
    service.submit(application)
    review.start_review(Application.objects.get(pk=application.pk), by=admission_reviewer)
    data = page_data(stale, **{"basics-firm_name": "别的名字"})
    files = {key: data.pop(key) for key in list(data) if key.endswith(("-file", "-evidence"))}
    editor = Editor(stale, _querydict(data), _multivaluedict(files))

    assert editor.save() is False
    assert editor.refused
    assert editor.context(licence_url=str, evidence_url=str)["refused"] == editor.refused
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.reviewer == admission_reviewer
    assert application.firm_name != "别的名字"
    assert application.licences.count() == 1  # the licence of the stale page was not added


def test_a_stale_save_in_the_admin_is_refused_too(
    client, admission_reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    staff = signed_in(client, admission_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("admission_staff_apply:add"), start_data())
    application = Application.objects.get()
    url = reverse("admission_staff_apply:edit", args=[application.pk])
    assert staff.post(url, page_data(application)).status_code == 302
    stale = Application.objects.get(pk=application.pk)
    service.submit(Application.objects.get(pk=application.pk))
    monkeypatch.setattr(staff_apply, "get_object_or_404", lambda *args, **kwargs: stale)

    response = staff.post(url, page_data(stale, **{"basics-contact_phone": "13911112222"}))

    assert REFUSED in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.contact_phone == "13800000000"


def test_a_draft_saved_from_a_page_older_than_its_new_link_keeps_the_new_link(
    client, started, monkeypatch
):
    application, path = started
    stale = Application.objects.get(pk=application.pk)
    new_path = link_in(issue_link(Application.objects.get(pk=application.pk)) + " ")
    fresh_hash = Application.objects.get(pk=application.pk).access_token_hash
    stale_page(monkeypatch, stale)

    response = client.post(path, page_data(stale, **{"basics-contact_phone": "13911112222"}))

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.contact_phone == "13911112222"  # the form's fields are saved
    assert application.access_token_hash == fresh_hash  # the rest of the row is not
    assert application.status == ApplicationStatus.DRAFT
    monkeypatch.undo()
    assert client.get(new_path).status_code == 200


def _querydict(data: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def _multivaluedict(files: dict):
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict({key: [value] for key, value in files.items()})


# --- 11. the original file names -----------------------------------------------------------


def test_licence_and_evidence_keep_the_names_they_were_uploaded_with(client, started):
    application, path = started
    question = (
        Question.objects.filter(section__questionnaire=application.questionnaire)
        .exclude(evidence="none")
        .exclude(kind=QuestionKind.METRIC)
        .first()
    )
    assert question is not None
    data = page_data(
        application,
        **{
            "licence-file": SimpleUploadedFile("scan.jpg", samples.image("PNG"), "image/jpeg"),
            f"answers-q{question.pk}-evidence": SimpleUploadedFile(
                "证明.jpg", samples.image("PNG"), "image/jpeg"
            ),
        },
    )
    assert client.post(path, data).status_code == 302

    licence = application.licences.latest("pk")
    assert licence.original_name == "scan.jpg"
    assert licence.file.name.endswith(".png")  # stored under a name that fits its content
    answer = application.answers.get(question=question)
    assert answer.evidence_name == "证明.jpg"
    assert answer.evidence.name.endswith(".png")
    page = client.get(path).content.decode()
    assert "scan.jpg" in page and "证明.jpg" in page


# --- 3. links for re-assessments -------------------------------------------------------------


def test_resend_link_leaves_re_assessments_out(client, django_capture_on_commit_callbacks):
    firm = FirmFactory(kind="agency", credit_code=CODE)
    reassessment = Application.objects.create(
        review_kind=ReviewKind.REASSESSMENT,
        status=ApplicationStatus.DRAFT,
        questionnaire=Questionnaire.current("agency"),
        firm=firm,
        firm_kind="agency",
        firm_name=firm.name,
        credit_code=CODE,
        contact_name="王经理",
        contact_email="manager@agency.example",
    )
    url = reverse("admission:resend_link")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"credit_code": CODE, "contact_email": "manager@agency.example"}
        )
    assert response.status_code == 200
    assert "admission/link_sent.html" in [t.name for t in response.templates]
    assert not mail.outbox
    assert Application.objects.get(pk=reassessment.pk).access_token_hash == ""
    assert service.resend_link(CODE, "manager@agency.example") is False


# --- 6. the shares on the public scoring page ------------------------------------------------


def _shares(response, kind: str) -> list[tuple[str, Decimal | None, Decimal | None]]:
    (entry,) = [
        e for e in response.context["questionnaires"] if e["questionnaire"].firm_kind == kind
    ]
    return [
        (row["section"].title, row["first_share"], row["reassessment_share"])
        for row in entry["sections"]
    ]


def test_scoring_page_shares_follow_the_scoring_rules(client):
    response = client.get(reverse("admission:scoring"))
    assert response.status_code == 200
    agency = _shares(response, "agency")
    # Weights 2, 2, 1 and 2 for the training-readiness section, whose questions are all
    # platform data: left out of a first application, counted in a re-assessment.
    assert [first for _title, first, _again in agency] == [
        Decimal(40),
        Decimal(40),
        Decimal(20),
        None,
    ]
    assert [round(again, 1) for _title, _first, again in agency] == [
        Decimal("28.6"),
        Decimal("28.6"),
        Decimal("14.3"),
        Decimal("28.6"),
    ]
    lender = _shares(response, "lender")
    assert [(first, again) for _title, first, again in lender] == [
        (Decimal(50), Decimal(50)),
        (Decimal(50), Decimal(50)),
    ]
    html = response.content.decode()
    readiness_row = html[html.index("培训就绪度") :].split("</tr>")[0]
    assert "<td>—</td><td>28.6%</td>" in readiness_row
    assert "<td>40%</td><td>28.6%</td>" in html and "<td>20%</td><td>14.3%</td>" in html


def test_the_shares_are_the_weights_score_application_uses(started):
    """A first application's total is its section scores weighted by the page's shares."""
    application, _path = started
    sections = list(application.questionnaire.sections.order_by("sort_order", "pk"))
    shares = scoring.section_shares(sections, ReviewKind.INITIAL)
    for number, question in enumerate(service.applicant_questions(application)):
        answer, _created = Answer.objects.get_or_create(application=application, question=question)
        if question.kind == QuestionKind.CHOICE:  # alternately the best and the worst option
            answer.option = question.options.order_by("-points" if number % 2 else "points")[0]
        else:
            answer.reviewer_score = Decimal(90)
        answer.save()
    result = scoring.score_application(application)
    assert result.total is not None
    scores = [entry.score for entry in result.sections]
    assert [score is None for score in scores] == [share is None for share in shares]
    weighted = sum(
        (share * score for share, score in zip(shares, scores, strict=True) if share and score),
        Decimal(0),
    )
    assert abs(result.total - weighted / 100) < Decimal("0.01")


# --- 12. tokens in the logs ------------------------------------------------------------------


@pytest.fixture
def production_logging():
    """The logging of ``lms.settings.base`` (the test settings log nothing), writing to a
    buffer; the test settings' logging is put back afterwards."""
    manager = logging.root.manager
    saved = {
        name: (lg.handlers[:], lg.filters[:], lg.propagate, lg.level, lg.disabled)
        for name, lg in [("", logging.root)]
        + [(n, lg) for n, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)]
    }
    buffer = io.StringIO()
    logging.config.dictConfig(DEFAULT_LOGGING)
    logging.config.dictConfig(base_settings.LOGGING)
    for name in ("", "django.server"):
        for handler in logging.getLogger(name or None).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(buffer)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(settings.LOGGING)
        for name, (handlers, filters, propagate, level, disabled) in saved.items():
            lg = logging.getLogger(name or None)
            lg.handlers, lg.filters = handlers, filters
            lg.propagate, lg.level, lg.disabled = propagate, level, disabled


def test_a_404_under_a_live_link_logs_the_masked_path(client, started, production_logging):
    application, path = started
    token = path.split("/")[4]
    assert client.get(f"{path}licences/999999/").status_code == 404
    logged = production_logging.getvalue()
    assert "Not Found: /firms/apply/r/***/licences/999999/" in logged
    assert token not in logged


def test_the_server_log_and_request_reports_are_masked(rf, production_logging):
    token = "s3cret-Token_value"
    request = rf.get(f"/firms/apply/r/{token}/", HTTP_REFERER=f"http://x/firms/apply/r/{token}/")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keep = Keep()
    logging.getLogger("django.request").addHandler(keep)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /firms/apply/r/{token}/ HTTP/1.1", "404", "179"
        )
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", request.path, extra={"request": request}
        )
    finally:
        logging.getLogger("django.request").removeHandler(keep)
    logged = production_logging.getvalue()
    assert '"GET /firms/apply/r/***/ HTTP/1.1" 404 179' in logged
    assert "Internal Server Error: /firms/apply/r/***/" in logged
    assert token not in logged
    (record,) = seen
    reported = record.request  # what the admins' error email is built from
    assert reported.path == reported.path_info == "/firms/apply/r/***/"
    assert token not in str(reported.META)
    assert request.path == f"/firms/apply/r/{token}/"  # the request itself is untouched


def test_mask_leaves_other_paths_alone():
    assert (
        mask("/firms/apply/scoring/ /firms/apply/link/")
        == "/firms/apply/scoring/ /firms/apply/link/"
    )
    assert (
        mask("/zh-hans/firms/apply/r/abc-_9/evidence/3/")
        == "/zh-hans/firms/apply/r/***/evidence/3/"
    )
