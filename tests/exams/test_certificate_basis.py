"""A certificate's legal basis (issue 13, item 1): the regulation versions it covers.

Certificates are earned the way collectors earn them — lessons completed through
``courses.progress``, the exam sat through ``exams.attempts``, the issuance task run on commit —
against the real regulation library (``load_regulations``), whose 2012 治安管理处罚法 第四十二条
was superseded by 第五十条 of the 2025 revision. What the basis holds is then read the way a
verifier reads it: on the public verification page.
"""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.models import Regulation
from exams import attempts
from exams.certificates import basis, issuance
from exams.certificates.affected import text_digest
from exams.certificates.models import (
    Certificate,
    CertificateBasis,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
)
from tests.conftest import make_user
from tests.courses.pages import add_lesson, make_course

from .certificate_factories import (
    complete_course,
    issue_certificate,
    pass_exam,
    passing_attempt,
    use_fast_pdf,
)
from .factories import make_bank, make_exam, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def library(db) -> None:
    call_command("load_regulations", verbosity=0)


def article(short_name: str, article_no: str, *, old: bool = False) -> Regulation:
    """The library's version in force, or (``old``) the superseded one."""
    return Regulation.objects.get(
        short_name=short_name, article_no=article_no, superseded_by__isnull=not old
    )


def cite(*regulations: Regulation) -> list[dict]:
    return [{"type": "citation", "value": {"regulation": r.pk, "note": ""}} for r in regulations]


_slugs = iter(range(1, 10_000))


def course_citing(*regulations: Regulation, lessons: int = 1):
    """A published course whose lessons each cite ``regulations``."""
    number = next(_slugs)
    course = make_course(slug=f"basis-course-{number}", title=f"法规课程{number}", lessons=0)
    for lesson in range(1, lessons + 1):
        add_lesson(course, f"第{lesson}课", slug=f"lesson-{lesson}", body=cite(*regulations))
    return course


def exam_citing(question_article: Regulation, case_article: Regulation, sub_article: Regulation):
    """An exam whose paper is one question and one case with a sub-question, each citing one
    article (the sub-question its own)."""
    bank = make_bank()
    make_question(bank, regulation=question_article)
    case = make_question(bank, type="case", regulation=case_article)
    make_question(bank, parent=case, regulation=sub_article)
    return make_exam([{"bank": bank, "count": 2}], pass_mark_percent=60, max_attempts=0)


def programme_of(courses, exam, **fields) -> CertificationProgramme:
    number = next(_slugs)
    programme = CertificationProgramme.objects.create(
        name=f"合规催收从业资格{number}", code=f"basis-{number}", final_exam=exam, **fields
    )
    programme.required_courses.set(courses)
    programme.save()
    return programme


@pytest.fixture
def programme(library) -> CertificationProgramme:
    courses = [
        course_citing(article("治安管理处罚法", "50")),
        course_citing(article("刑法", "293-1"), article("个人信息保护法", "10")),
    ]
    exam = exam_citing(
        article("刑法", "238"), article("民法典", "1024"), article("治安管理处罚法", "47")
    )
    return programme_of(courses, exam)


def earn(user, programme: CertificationProgramme, certify) -> Certificate:
    for course in programme.required_courses.all():
        certify(complete_course, user, course)
    certify(pass_exam, user, programme.final_exam)
    return Certificate.objects.get(holder=user, programme=programme)


def recorded(certificate: Certificate) -> set[tuple[str, str]]:
    return {
        (entry.regulation.short_name, entry.regulation.article_no)
        for entry in certificate.basis_entries.select_related("regulation")
    }


# --- What the basis holds ---------------------------------------------------------------------


def test_earning_a_certificate_records_what_the_lessons_and_the_paper_cite(
    certify, collector, programme
):
    certificate = earn(collector, programme, certify)

    assert recorded(certificate) == {
        ("治安管理处罚法", "50"),  # lessons of both required courses
        ("刑法", "293-1"),
        ("个人信息保护法", "10"),
        ("刑法", "238"),  # a question on the paper
        ("民法典", "1024"),  # the case
        ("治安管理处罚法", "47"),  # the case's sub-question
    }
    for entry in certificate.basis_entries.select_related("regulation"):
        assert entry.text_digest == text_digest(entry.regulation.text)
    assert set(certificate.basis.all()) == {e.regulation for e in certificate.basis_entries.all()}


def test_drafts_and_courses_outside_the_programme_do_not_count(certify, collector, programme):
    required = programme.required_courses.order_by("path").first()
    draft = add_lesson(required, "草稿课", slug="draft", body=cite(article("刑法", "274")))
    draft.unpublish()
    course_citing(article("刑法", "246"))  # published, not required

    certificate = earn(collector, programme, certify)

    assert ("刑法", "274") not in recorded(certificate)
    assert ("刑法", "246") not in recorded(certificate)


def test_a_renewal_also_covers_the_refresher_course(collector, library):
    course = course_citing(article("刑法", "238"))
    refresher = course_citing(article("民法典", "1033"))
    exam = exam_citing(*(article("刑法", "293") for _ in range(3)))
    programme = programme_of([course], exam, refresher_course=refresher)
    first = issue_certificate(
        collector, programme, now=timezone.now() - relativedelta(months=24) + relativedelta(days=30)
    )
    assert ("民法典", "1033") not in recorded(first)

    renewed = issue_certificate(collector, programme, kind=IssuanceKind.RENEWAL, renews=first)

    assert ("民法典", "1033") in recorded(renewed)
    assert ("刑法", "238") in recorded(renewed)


def test_an_old_edition_cited_beside_its_successor_is_left_out_but_alone_it_counts(library):
    old, new = article("治安管理处罚法", "42", old=True), article("治安管理处罚法", "50")
    assert old.superseded_by == new
    comparing = programme_of(
        [course_citing(old, new)], exam_citing(*(article("刑法", "293") for _ in range(3)))
    )
    old_only = programme_of(
        [course_citing(old)], exam_citing(*(article("刑法", "293") for _ in range(3)))
    )

    assert basis.regulations_for(_request(comparing)) >= {new.pk}
    assert old.pk not in basis.regulations_for(_request(comparing))
    assert old.pk in basis.regulations_for(_request(old_only))


def _request(programme: CertificationProgramme) -> IssuanceRequest:
    """An (unsaved) issuance request for a new holder's attempt at a freshly drawn paper."""
    user = make_user(f"basis{next(_slugs)}@example.com", "赵六")
    for course in programme.required_courses.all():
        complete_course(user, course)
    attempt = attempts.start_attempt(user, programme.final_exam)
    return IssuanceRequest(holder=user, programme=programme, attempt=attempt)


# --- Recorded with the certificate, exactly once -------------------------------------------------


def test_the_basis_is_written_in_the_transaction_that_issues_the_certificate(
    collector, programme, monkeypatch
):
    attempt = passing_attempt(collector, programme.final_exam)
    request = IssuanceRequest.objects.create(holder=collector, programme=programme, attempt=attempt)
    real_record = basis.record_basis
    written = []

    def record_then_fail(certificate, request):
        written.extend(real_record(certificate, request))
        assert CertificateBasis.objects.filter(certificate=certificate).exists()
        raise RuntimeError("the worker died after the basis was written")

    monkeypatch.setattr(basis, "record_basis", record_then_fail)
    with pytest.raises(RuntimeError):
        issuance.issue(request.pk)

    assert written  # it was written, then rolled back with the certificate
    assert not Certificate.objects.exists()
    assert not CertificateBasis.objects.exists()

    monkeypatch.setattr(basis, "record_basis", real_record)
    certificate = issuance.issue(request.pk)
    # The attempt was written without a paper: the three articles the lessons cite.
    assert certificate is not None and certificate.basis_entries.count() == 3
    assert issuance.issue(request.pk) == certificate  # a retry records nothing more
    assert CertificateBasis.objects.count() == 3


def test_computing_and_recording_the_basis_costs_the_same_queries_at_any_size(library):
    laws = list(Regulation.objects.filter(superseded_by__isnull=True).order_by("pk"))
    small = programme_of([course_citing(laws[0])], exam_citing(laws[1], laws[2], laws[3]))
    large = programme_of(
        [course_citing(*laws[4:10], lessons=3) for _ in range(3)],
        exam_citing(laws[10], laws[11], laws[12]),
    )
    counts = []
    for programme in (small, large):
        request = _request(programme)
        certificate = issue_certificate(request.holder, programme)
        certificate.basis_entries.all().delete()
        with CaptureQueriesContext(connection) as queries:
            entries = basis.record_basis(certificate, request)
        counts.append(len(queries.captured_queries))
        assert len(entries) == certificate.basis_entries.count() >= 4
    assert counts == [7, 7]


def test_recording_regulations_twice_changes_nothing_and_unknown_ids_are_ignored(
    collector, programme
):
    certificate = issue_certificate(collector, programme)
    before = set(certificate.basis_entries.values_list("regulation_id", "text_digest"))
    extra = article("刑法", "226")

    basis.record_regulations(certificate, [extra.pk, 987654321, None])
    basis.record_regulations(certificate, [extra.pk])

    after = set(certificate.basis_entries.values_list("regulation_id", "text_digest"))
    assert after == before | {(extra.pk, text_digest(extra.text))}
    assert basis.record_regulations(certificate, []) == []


# --- Shown on the verification page -----------------------------------------------------------


def test_the_verification_page_lists_the_basis_by_statute_and_marks_superseded_versions(
    client, collector, library
):
    old = article("治安管理处罚法", "42", old=True)
    programme = programme_of(
        [
            course_citing(
                old, article("刑法", "293-1"), article("刑法", "238"), article("刑法", "293")
            )
        ],
        exam_citing(*(article("刑法", "196") for _ in range(3))),
    )
    certificate = issue_certificate(collector, programme)

    response = client.get(certificate.verification_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "涵盖法规版本" in html
    section = html.split("data-legal-basis")[1].split("</section>")[0]
    assert section.index("<h3") < section.index("刑法") < section.index("治安管理处罚法")
    # Articles in number order: 第二百三十八条, 第二百九十三条, 第二百九十三条之一.
    labels = [article("刑法", no).article_label for no in ("238", "293", "293-1")]
    positions = [section.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "2024-03-01起施行" in section  # the edition of the criminal-law articles
    old_item = section.split(f'data-regulation="{old.pk}"')[1].split("</li>")[0]
    assert "第四十二条" in section and "已被新版本取代" in old_item
    assert "第五十条" in old_item and "2026-01-01起施行" in old_item
    assert f"/regulations/{old.superseded_by_id}/" in old_item
    assert section.count("已被新版本取代") == 1


def test_the_legal_basis_heading_is_translated(client, collector, programme):
    certificate = issue_certificate(collector, programme)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(certificate.verification_url).content.decode()
    assert "Legal basis covered" in html and "Superseded" not in html


def test_a_certificate_without_a_recorded_basis_shows_no_section(client, collector, programme):
    certificate = issue_certificate(collector, programme)
    certificate.basis_entries.all().delete()

    html = client.get(certificate.verification_url).content.decode()

    assert "data-legal-basis" not in html
