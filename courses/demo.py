"""Builds the demo courses from ``courses.demo_content`` into published Wagtail pages.

Idempotent: a course whose slug exists is left alone (a trainer may have edited it).
Regulations must be loaded first (``load_regulations``): citations are resolved against the
library, and a missing article stops the build with a clear error rather than a broken page.
"""

from __future__ import annotations

from typing import Any

from content.models import Regulation
from lms.lib.demo import DemoReport

from .demo_content import COURSES
from .models import CourseIndexPage, CoursePage, LessonPage

SUPERSEDED_EDITION = "2012"


class DemoContentError(LookupError):
    """The demo content cites an article that is not in the regulation library."""


def regulation_pk(key: tuple[str, ...]) -> int:
    """The library row for a citation key: (short, article_no) is the version in force,
    (short, article_no, "2012") the superseded 2012 edition of 治安管理处罚法."""
    short, article_no, *edition = key
    rows = Regulation.objects.filter(short_name=short, article_no=article_no)
    if edition == [SUPERSEDED_EDITION]:
        rows = rows.filter(superseded_by__isnull=False)
    else:
        rows = rows.filter(superseded_by__isnull=True)
    pk = rows.order_by("-effective_date").values_list("pk", flat=True).first()
    if pk is None:
        raise DemoContentError(f"{short} {article_no} {''.join(edition)} is not in the library")
    return pk


def _raw_block(name: str, value: Any) -> dict:
    """A block in StreamField's raw (JSON) form, with citations resolved to primary keys."""
    if name == "citation":
        value = {**value, "regulation": regulation_pk(value["regulation"])}
    elif name == "dialogue" and value.get("breaks"):
        value = {**value, "breaks": regulation_pk(value["breaks"])}
    return {"type": name, "value": value}


def ensure_demo_courses() -> list[str]:
    """Create and publish each demo course with its lessons. Returns what it created."""
    created: list[str] = []
    index = CourseIndexPage.objects.first()
    if index is None:
        return created
    for spec in COURSES:
        if CoursePage.objects.filter(slug=spec["slug"]).exists():
            continue
        course = CoursePage(
            title=spec["title"],
            slug=spec["slug"],
            topic=spec["topic"],
            level=spec["level"],
            estimated_minutes=spec["estimated_minutes"],
            summary=spec["summary"],
            objectives="\n".join(spec["objectives"]),
        )
        index.add_child(instance=course)
        course.save_revision().publish()
        for lesson_spec in spec["lessons"]:
            lesson = LessonPage(
                title=lesson_spec["title"],
                slug=lesson_spec["slug"],
                intro=lesson_spec["intro"],
                estimated_minutes=lesson_spec["estimated_minutes"],
                body=[_raw_block(name, value) for name, value in lesson_spec["body"]],
            )
            course.add_child(instance=lesson)
            lesson.save_revision().publish()
        created.append(f"course {spec['title']} ({len(spec['lessons'])} lessons)")
    return created


def seed_courses(report: DemoReport) -> None:
    """seed_demo step (registered in CoursesConfig.ready)."""
    report.created_lines(ensure_demo_courses())
