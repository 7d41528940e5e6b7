"""``backfill_certificate_basis``: the legal basis of certificates issued before it was recorded.

An "old" certificate is one issued the normal way whose basis rows are then deleted. The lesson
is edited and republished after the issuance, so what the backfill records shows whether it read
the lesson as it was live at issuance (the revision published before ``issued_at``) or today's.
Articles are synthetic (``make_article``).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ReferenceIndex

from content.models import Regulation, RegulationChange
from courses.models import CoursePage, LessonPage
from exams.certificates import backfill, impact, issuance
from exams.certificates.affected import text_digest
from exams.certificates.models import (
    Certificate,
    CertificateBasis,
    CertificateStatus,
    CertificationProgramme,
    IssuanceKind,
    IssuanceRequest,
)
from tests.certificates.impact_factories import citation, make_article, supersede
from tests.conftest import make_user
from tests.courses.pages import add_lesson, make_course

from .certificate_factories import complete_course, issue_certificate, pass_exam, use_fast_pdf
from .factories import make_bank, make_exam, make_question

pytestmark = pytest.mark.django_db

_numbers = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


def cites(*regulations: Regulation) -> list[dict]:
    return [block for regulation in regulations for block in citation(regulation)]


def published_lesson(course: CoursePage, *regulations: Regulation) -> LessonPage:
    lesson = add_lesson(course, "第1课", slug=f"lesson-{next(_numbers)}", body=cites(*regulations))
    lesson.save_revision().publish()
    return lesson


def republish(lesson: LessonPage, *regulations: Regulation) -> None:
    lesson.refresh_from_db()
    lesson.body = cites(*regulations)
    lesson.save_revision().publish()


class World:
    """A programme: one required course whose lesson cites ``x`` (and an old edition beside its
    successor), and an exam whose one question cites ``paper``."""

    def __init__(self) -> None:
        number = next(_numbers)
        self.x = make_article(f"{number}01", "v1", "测试条文：课程引用的条文。")
        self.y = make_article(f"{number}02", "v1", "测试条文：课程后来改引的条文。")
        self.paper = make_article(f"{number}03", "v1", "测试条文：试题引用的条文。")
        self.old = make_article(f"{number}04", "v2012", "测试条文：旧版。")
        self.new = make_article(f"{number}05", "v2025", "测试条文：新版。")
        supersede(self.old, self.new)
        self.course = make_course(slug=f"backfill-{number}", title=f"回填课程{number}", lessons=0)
        self.lesson = published_lesson(self.course, self.x, self.old, self.new)
        bank = make_bank()
        make_question(bank, regulation=self.paper)
        self.exam = make_exam([{"bank": bank, "count": 1}], pass_mark_percent=60, max_attempts=0)
        self.programme = CertificationProgramme.objects.create(
            name=f"回填资格{number}", code=f"backfill-{number}", final_exam=self.exam
        )
        self.programme.required_courses.set([self.course])
        self.programme.save()

    def old_certificate(self, user=None) -> Certificate:
        """A certificate earned on the paper, then stripped of its basis (issued "before")."""
        user = user or make_user(f"backfill{next(_numbers)}@example.com", "王五")
        complete_course(user, self.course)
        attempt = pass_exam(user, self.exam)  # requests the certificate (issued on commit)
        request = IssuanceRequest.objects.get(holder=user, programme=self.programme)
        assert request.attempt == attempt
        certificate = issuance.issue(request.pk)
        assert certificate is not None
        assert certificate.basis_entries.exists()  # recorded at issuance, as today
        certificate.basis_entries.all().delete()
        return certificate


@pytest.fixture
def world() -> World:
    return World()


def recorded(certificate: Certificate) -> dict[int, str]:
    return dict(certificate.basis_entries.values_list("regulation_id", "text_digest"))


def run(*args: str) -> str:
    out = StringIO()
    call_command("backfill_certificate_basis", *args, stdout=out)
    return out.getvalue()


def test_records_the_lesson_as_live_at_issuance_and_the_paper(world):
    certificate = world.old_certificate()
    republish(world.lesson, world.y)  # after the issuance: cites Y instead of X

    output = run()

    assert set(recorded(certificate)) == {world.x.pk, world.new.pk, world.paper.pk}
    assert world.y.pk not in recorded(certificate)
    assert world.old.pk not in recorded(certificate)  # cited beside its successor
    for regulation in (world.x, world.new, world.paper):
        assert recorded(certificate)[regulation.pk] == text_digest(regulation.text)
    assert (
        output.strip()
        == "1 certificates backfilled, 3 articles recorded, 0 skipped (already recorded)."
    )


def test_a_correction_after_issuance_records_the_wording_in_force_then(world):
    certificate = world.old_certificate()
    wording_at_issuance = world.x.text
    for new_text in ("测试条文：第一次更正。", "测试条文：第二次更正。"):
        RegulationChange.objects.create(
            kind=RegulationChange.Kind.CORRECTED,
            old=world.x,
            new=world.x,
            old_text=world.x.text,
            new_text=new_text,
        )
        world.x.text = new_text
        world.x.save(update_fields=["text"])

    run()

    assert recorded(certificate)[world.x.pk] == text_digest(wording_at_issuance)
    assert recorded(certificate)[world.paper.pk] == text_digest(world.paper.text)


def test_a_correction_before_issuance_leaves_the_current_text(world):
    RegulationChange.objects.create(
        kind=RegulationChange.Kind.CORRECTED,
        old=world.x,
        new=world.x,
        old_text="测试条文：更正前。",
        new_text=world.x.text,
        detected_at=timezone.now() - timedelta(days=1),
    )
    certificate = world.old_certificate()

    run()

    assert recorded(certificate)[world.x.pk] == text_digest(world.x.text)


def test_lessons_not_live_at_issuance_are_skipped(world):
    never_published = add_lesson(world.course, "未发布", slug="never", body=cites(world.y))
    LessonPage.objects.filter(pk=never_published.pk).update(live=True)  # live, but no revision
    unpublished = published_lesson(world.course, world.old)
    unpublished.unpublish()
    later = make_article("990", "v1", "测试条文：发证后才发布的课。")
    certificate = world.old_certificate()
    published_lesson(world.course, later)

    run()

    assert set(recorded(certificate)) == {world.x.pk, world.new.pk, world.paper.pk}


def test_a_renewal_also_covers_the_refresher_course_as_live_then(world):
    refresher = make_course(slug=f"refresher-{next(_numbers)}", title="复训", lessons=0)
    refresher_article = make_article("991", "v1", "测试条文：复训课。")
    published_lesson(refresher, refresher_article)
    world.programme.refresher_course = refresher
    world.programme.save()
    user = make_user("renewer@example.com", "赵六")
    first = issue_certificate(user, world.programme, now=timezone.now() - timedelta(days=700))
    renewed = issue_certificate(user, world.programme, kind=IssuanceKind.RENEWAL, renews=first)
    CertificateBasis.objects.all().delete()

    run("--all")

    assert refresher_article.pk in recorded(renewed)
    assert world.x.pk in recorded(renewed)
    # The first one was issued before any lesson was published: nothing to record.
    assert recorded(first) == {}


def test_a_second_run_records_nothing_new(world):
    certificate = world.old_certificate()
    run()
    before = list(CertificateBasis.objects.order_by("pk").values_list("pk", "regulation_id"))
    republish(world.lesson, world.y)

    output = run()

    assert (
        list(CertificateBasis.objects.order_by("pk").values_list("pk", "regulation_id")) == before
    )
    assert recorded(certificate)
    assert (
        output.strip()
        == "0 certificates backfilled, 0 articles recorded, 1 skipped (already recorded)."
    )


def test_dry_run_writes_nothing(world):
    world.old_certificate()

    output = run("--dry-run", "--verbosity", "2")

    assert not CertificateBasis.objects.exists()
    assert "Dry run (nothing written): 1 certificates backfilled, 3 articles recorded" in output
    assert ": 3 article(s)" in output  # the per-certificate line


def test_only_valid_and_suspended_unless_all(world):
    valid = world.old_certificate()
    suspended = world.old_certificate()
    expired = world.old_certificate()
    Certificate.objects.filter(pk=suspended.pk).update(status=CertificateStatus.SUSPENDED)
    Certificate.objects.filter(pk=expired.pk).update(status=CertificateStatus.EXPIRED)

    assert run().startswith("2 certificates backfilled, 6 articles recorded")
    assert recorded(valid) and recorded(suspended) and not recorded(expired)

    assert run("--all").startswith("1 certificates backfilled, 3 articles recorded, 2 skipped")
    assert recorded(expired)


def test_the_query_count_does_not_grow_with_the_certificates(world):
    world.old_certificate()
    with CaptureQueriesContext(connection) as one:
        backfill.backfill(dry_run=True)
    world.old_certificate()
    world.old_certificate()
    with CaptureQueriesContext(connection) as three:
        result = backfill.backfill(dry_run=True)

    assert result.certificates == 3
    assert len(three) == len(one)


def test_the_extraction_is_what_the_reference_index_records(world):
    """The backfill reads old revisions with the extraction the index runs on save: on today's
    page it finds exactly the regulation rows the index holds."""
    regulation_type = ContentType.objects.get_for_model(Regulation)
    lesson = LessonPage.objects.get(pk=world.lesson.pk)
    extracted = impact.regulations_cited_by(lesson)
    indexed = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(LessonPage),
        object_id=str(lesson.pk),
        to_content_type=regulation_type,
    ).values_list("to_object_id", flat=True)
    assert extracted == {int(pk) for pk in indexed} == {world.x.pk, world.old.pk, world.new.pk}
