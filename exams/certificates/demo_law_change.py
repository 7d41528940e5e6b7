"""Demo of a law change reaching certificates (issue 13): the 2025 治安管理处罚法 revision.

* collector@demo.test (张三) earned the certificate in September 2025, when the programme still
  taught the 2012 edition of 治安管理处罚法: its legal basis holds the 2012 articles
  (``demo.basis_as_issued``).
* The library's 2012 第四十二条 is superseded by 第五十条 of the 2025 revision: the
  :class:`RegulationChange` is recorded if the loader has not recorded it (texts copied from the
  library rows — no statute text is written here).
* The trainer attached an update module to the demo programme: the short course
  "治安管理处罚法（2025修订）更新要点", whose lesson cites the new articles through law-citation
  blocks, and 张三 was notified (one :class:`UpdateNotice`): "需更新".

陈四's certificate, suspended by the auditor pending a critical finding, is the compliance
app's demo (``lms.compliance.demo.ensure_finding_suspension``): a suspension for a finding goes
through ``findings.suspend_certificates``, which this app may not import.

Idempotent: each object is looked up before it is made, and a second run creates nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from content.citations import PSL_2012_42
from content.models import Regulation, RegulationChange
from courses.demo import regulation_pk
from courses.models import CourseIndexPage, CoursePage, LessonPage
from lms.accounts.models import User
from lms.lib.demo import DemoReport

from . import impact
from .demo import PROGRAMME
from .models import Certificate, CertificationProgramme, UpdateModule, UpdateNotice
from .updates import affected_certificates

TRAINER = "trainer@demo.test"
UPDATE_COURSE = {
    "slug": "public-security-law-2025-update",
    "title": "治安管理处罚法（2025修订）更新要点",
    "topic": "public-security-law",
    "level": "foundation",
    "estimated_minutes": 15,
    "summary": (
        "2025年修订的《治安管理处罚法》自2026年1月1日起施行，条文重新编号。"
        "证书依据2012年修正版颁发的持证人，完成本更新课程后证书按新版本重新签发。"
    ),
}
UPDATE_OBJECTIVES = (
    "说出与催收最相关的旧条文在2025年修订版中的新序号",
    "阅读新法第五十条原文，在话术和记录中使用现行条文",
)
NEW_EDITION_NOTE = "2025年修订版，自2026年1月1日起施行。"


def ensure_change() -> tuple[RegulationChange, bool]:
    """The change 2012 第四十二条 → 2025 第五十条, recorded once (the loader may have done it)."""
    old = Regulation.objects.select_related("superseded_by").get(pk=regulation_pk(PSL_2012_42))
    new = old.superseded_by
    assert new is not None  # regulation_pk found it among the superseded rows
    return RegulationChange.objects.get_or_create(
        kind=RegulationChange.Kind.SUPERSEDED,
        old=old,
        new=new,
        defaults={"old_text": old.text, "new_text": new.text, "source": "seed_demo"},
    )


def ensure_update_course() -> tuple[CoursePage, bool]:
    """The short update course, published, with one lesson citing the new articles."""
    existing = CoursePage.objects.filter(slug=UPDATE_COURSE["slug"]).first()
    if existing is not None:
        return existing, False
    index = CourseIndexPage.objects.get()
    course = CoursePage(**UPDATE_COURSE, objectives="\n".join(UPDATE_OBJECTIVES))
    index.add_child(instance=course)
    course.save_revision().publish()
    lesson = LessonPage(
        title="新旧条文对照与第五十条",
        slug="renumbered-articles",
        intro="找到旧条文的新序号，读懂新法第五十条。",
        estimated_minutes=15,
        body=lesson_body(),
    )
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    return course, True


def lesson_body() -> list[dict[str, Any]]:
    """The lesson: the renumbering as the library records it (each 2012 article and the one
    superseding it), then each new article cited word for word from the library."""
    renumbered = list(
        Regulation.objects.filter(short_name="治安管理处罚法", superseded_by__isnull=False)
        .select_related("superseded_by")
        .order_by("effective_date", "pk")
    )
    renumbered.sort(key=lambda row: [int(n) for n in re.findall(r"\d+", row.article_no)])
    pairs = "".join(
        f"<li>旧法{row.article_label} → 新法{row.superseded_by.article_label}</li>"
        for row in renumbered
        if row.superseded_by is not None
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "paragraph",
            "value": (
                "<p>你的证书颁发时，课程和考试依据的是2012年修正版《治安管理处罚法》。"
                "2025年6月27日修订的新法自2026年1月1日起施行，条文已重新编号。"
                "完成本课程后，证书将按新版本重新签发，有效期不变。</p>"
            ),
        },
        {"type": "heading", "value": {"text": "旧条文的新序号", "level": "h2"}},
        {"type": "paragraph", "value": f"<ul>{pairs}</ul>"},
        {"type": "heading", "value": {"text": "新法条文原文", "level": "h2"}},
        {
            "type": "paragraph",
            "value": "<p>请逐条阅读下列现行条文，重点是取代旧法第四十二条的第五十条。</p>",
        },
    ]
    successors = dict.fromkeys(row.superseded_by_id for row in renumbered)  # in the old order
    for pk in successors:
        blocks.append({"type": "citation", "value": {"regulation": pk, "note": NEW_EDITION_NOTE}})
    blocks.append(
        {
            "type": "callout",
            "value": {
                "kind": "do",
                "title": "引用条文时这样写",
                "text": (
                    "<p>在话术、记录和学习中使用现行条文序号；需要提到旧条文时，"
                    "写明“原第四十二条（2012年修正版）”，并说明已被新法第五十条取代。</p>"
                ),
            },
        }
    )
    return blocks


def ensure_update_module(
    programme: CertificationProgramme, change: RegulationChange, course: CoursePage
) -> tuple[UpdateModule, bool]:
    """The trainer's update module for the change on the demo programme (default deadline)."""
    return UpdateModule.objects.get_or_create(
        programme=programme,
        change=change,
        defaults={"course": course, "created_by": User.objects.filter(email=TRAINER).first()},
    )


def ensure_notices(module: UpdateModule) -> list[Certificate]:
    """Notify the holders of the certificates the module reaches (``affected_certificates``),
    once each; returns the certificates newly notified (the demo has one: 张三's)."""
    notified = []
    for certificate in affected_certificates(module).select_related("holder"):
        _, created = UpdateNotice.objects.get_or_create(module=module, certificate=certificate)
        if created:
            notified.append(certificate)
    return notified


# seed_demo step (registered in the app's ready(); orders in lms.lib.demo).


def seed_law_change(report: DemoReport) -> None:
    """The 2025 revision reaching the demo certificates: change, update module, notice."""
    programme = CertificationProgramme.objects.filter(code=PROGRAMME["code"]).first()
    if programme is None:
        return
    with transaction.atomic():
        change, created = ensure_change()
        if created:
            report.line(f"created regulation change {change}", created=1)
        course, created = ensure_update_course()
        if created:
            report.line(f"created update course {course.title} (1 lesson)", created=1)
        module, created = ensure_update_module(programme, change, course)
        if created:
            report.line(f"created update module {module}", created=1)
        for certificate in ensure_notices(module):
            report.line(
                f"{certificate.holder.email}: told to update certificate {certificate.serial}",
                created=1,
            )
        # The trainers' update tasks, as the loader opens them for a change it records.
        missing = impact.impact_of(change).missing_tasks
        if missing:
            impact.impact_of(change, open_tasks=True)
            report.line(f"opened {missing} update task(s) for {change}", created=missing)
