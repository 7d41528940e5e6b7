"""Builders for update-module tests: a revised article, certificates on the old basis, a module.

Shaped like the real case (治安管理处罚法 revised in 2025, in force 2026-01-01, articles
renumbered); the texts are placeholders marked as such, never statute text.
"""

from __future__ import annotations

import itertools
from datetime import date

from content.models import Regulation, RegulationChange
from courses.models import CoursePage
from exams.certificates.affected import text_digest
from exams.certificates.models import (
    Certificate,
    CertificateBasis,
    CertificationProgramme,
    UpdateModule,
)
from tests.certificates.impact_factories import supersede
from tests.courses.pages import add_lesson, make_course

from .certificate_factories import issue_certificate

_numbers = itertools.count(1)


def make_article(version: str, article_no: str, effective: date, text: str) -> Regulation:
    return Regulation.objects.create(
        statute="中华人民共和国治安管理处罚法",
        short_name="治安管理处罚法",
        article_label=f"第{article_no}条",
        article_no=article_no,
        topic="public_security",
        text=text,
        version=version,
        effective_date=effective,
        source="测试用占位文本（非法条原文）",
    )


def superseding_change() -> RegulationChange:
    """An article superseded by its 2025 version, in force 2026-01-01."""
    number = next(_numbers)
    old = make_article("2012", f"{number}", date(2013, 1, 1), f"旧版占位文本{number}")
    new = make_article("2025", f"{number + 100}", date(2026, 1, 1), f"新版占位文本{number}")
    return supersede(old, new)


def correction() -> RegulationChange:
    """The text of one version corrected (the same row, a new wording)."""
    number = next(_numbers)
    article = make_article("2025", f"{number + 200}", date(2026, 1, 1), f"更正后占位文本{number}")
    return RegulationChange.objects.create(
        kind=RegulationChange.Kind.CORRECTED,
        old=article,
        new=article,
        old_text=f"更正前占位文本{number}",
        new_text=article.text,
    )


def certificate_on(user, programme: CertificationProgramme, *articles: Regulation, **kw):
    """A certificate whose legal basis is ``articles`` at their current wording."""
    certificate = issue_certificate(user, programme, **kw)
    for article in articles:
        CertificateBasis.objects.create(
            certificate=certificate, regulation=article, text_digest=text_digest(article.text)
        )
    return certificate


def on_old_wording(certificate: Certificate, change: RegulationChange) -> None:
    """Make ``certificate`` cite the wording a correction replaced."""
    CertificateBasis.objects.create(
        certificate=certificate, regulation=change.old, text_digest=text_digest(change.old_text)
    )


def update_course(change: RegulationChange, *, lessons: int = 1) -> CoursePage:
    """A live "what changed" course whose lessons cite the new version."""
    number = next(_numbers)
    course = make_course(slug=f"update-{number}", title=f"法规更新{number}", lessons=0)
    for position in range(1, lessons + 1):
        add_lesson(
            course,
            f"变化要点{position}",
            slug=f"what-changed-{position}",
            body=[{"type": "citation", "value": {"regulation": change.new_id, "note": ""}}],
        )
    return course


def make_module(
    programme: CertificationProgramme,
    change: RegulationChange,
    *,
    course: CoursePage | None = None,
    deadline: date | None = None,
) -> UpdateModule:
    course = course or update_course(change)
    return UpdateModule.objects.create(
        programme=programme,
        change=change,
        course=CoursePage.objects.get(pk=course.pk),  # as published (first_published_at)
        deadline=deadline,
    )
