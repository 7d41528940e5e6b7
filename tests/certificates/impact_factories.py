"""A small world for the impact of a change in the law: an article superseded by a new version,
the lessons and questions citing each, programmes reached in each way, and certificates whose
legal basis holds the old version. Texts are obviously synthetic (测试条文…)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from content.models import Regulation, RegulationChange
from courses.models import CoursePage, LessonPage
from exams.certificates.affected import text_digest
from exams.certificates.models import Certificate, CertificateBasis, CertificationProgramme
from exams.models import ExamPage, Question
from tests.courses.pages import add_lesson
from tests.exams.certificate_factories import issue_certificate, make_programme
from tests.exams.factories import make_bank, make_case, make_exam, make_question

_worlds = itertools.count(1)


def make_article(article_no: str, version: str, text: str, **fields) -> Regulation:
    if isinstance(fields.get("effective_date"), str):
        fields["effective_date"] = date.fromisoformat(fields["effective_date"])
    return Regulation.objects.create(
        statute="测试法",
        short_name="测试法",
        article_label=f"第{article_no}条",
        article_no=article_no,
        topic="public-security-law",
        text=text,
        source="synthetic test data",
        version=version,
        **fields,
    )


def supersede(old: Regulation, new: Regulation) -> RegulationChange:
    """What the loader records when ``new`` supersedes ``old``."""
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    return RegulationChange.objects.create(
        kind=RegulationChange.Kind.SUPERSEDED,
        old=old,
        new=new,
        old_text=old.text,
        new_text=new.text,
        source="test",
    )


def citation(regulation: Regulation) -> list[dict]:
    return [{"type": "citation", "value": {"regulation": regulation.pk, "note": ""}}]


def on_basis(certificate: Certificate, regulation: Regulation, text: str | None = None) -> None:
    CertificateBasis.objects.create(
        certificate=certificate,
        regulation=regulation,
        text_digest=text_digest(regulation.text if text is None else text),
    )


@dataclass
class World:
    old: Regulation
    new: Regulation
    change: RegulationChange
    lessons: list[LessonPage] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    via_course: CertificationProgramme | None = None
    via_exam: CertificationProgramme | None = None
    via_certificates: CertificationProgramme | None = None
    untouched: CertificationProgramme | None = None
    certificates: list[Certificate] = field(default_factory=list)
    exam: ExamPage | None = None
    course: CoursePage | None = None


def make_world(holders, size: int = 1) -> World:
    """``size`` of each affected thing: lessons, questions, certificates (one per holder)."""
    number = next(_worlds)
    old = make_article(
        "42", f"v2012-{number}", "测试条文：旧版本的措辞，罚款五百元。", effective_date="2013-01-01"
    )
    new = make_article(
        "50", f"v2025-{number}", "测试条文：新版本的措辞，罚款一千元。", effective_date="2026-01-01"
    )
    change = supersede(old, new)
    world = World(old, new, change)

    # A programme whose required course has lessons citing the old version (and one citing the
    # new version, which is not affected).
    world.via_course = make_programme(name=f"课程路径{number}").programme
    world.course = world.via_course.required_courses.get()
    for number in range(size):
        world.lessons.append(
            add_lesson(world.course, f"旧条文课{number}", slug=f"old-{number}", body=citation(old))
        )
    add_lesson(world.course, "新条文课", slug="new-version", body=citation(new))

    # A programme whose final exam draws from a bank holding questions citing the old version.
    bank = make_bank(f"法条题库{number}")
    for _ in range(size):
        world.questions.append(make_question(bank, regulation=old))
    make_question(bank, regulation=old, active=False)  # inactive: not affected
    make_question(bank, regulation=new)
    world.exam = make_exam([{"bank": bank, "count": 1}], title=f"法条考试{number}")
    world.via_exam = make_programme(name=f"考试路径{number}").programme
    world.via_exam.final_exam = world.exam
    world.via_exam.save()

    # A programme whose certificates cite the old version.
    world.via_certificates = make_programme(name=f"证书路径{number}").programme
    for holder in holders[:size]:
        certificate = issue_certificate(holder, world.via_certificates)
        on_basis(certificate, old)
        world.certificates.append(certificate)
    world.untouched = make_programme(name=f"无关{number}").programme
    return world


def make_case_citing(regulation: Regulation) -> Question:
    bank = make_bank(f"案例题库{next(_worlds)}")
    case = make_case(bank, subs=2)
    sub = case.sub_questions.order_by("sort_order").first()
    sub.regulation = regulation
    sub.save()
    return case
