"""A certificate's legal basis: the regulation versions it covers, fixed at issuance.

What a holder was taught and examined on is what the certificate vouches for, so the basis is

* every article cited by the live lessons of the programme's required courses — for a renewal
  also the refresher course — as Wagtail's reference index records them (law-citation blocks,
  and the rule a dialogue names; see ``courses.citations``), and
* every article cited by a question on the paper the holder sat (``QuestionVersion.data``'s
  ``regulation_id``; a case's snapshot lists its sub-questions, which may cite their own).

A lesson may cite an article's superseded edition beside its successor, to compare them (the
治安管理处罚法 course shows 2012 第四十二条 next to 2025 第五十条): when both editions are cited,
the certificate covers the newer one only, so a comparison does not tie it to the old law.

A legal-update refresh has no paper: its basis is the old certificate's with the changed version
replaced, plus what the update course cites (``updates.record_refreshed_basis``).

Each entry keeps a digest of the article's text, so a later correction of the same version
shows (``affected.certificates_on_old_basis``). Written with the certificate, in its
transaction, never changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.models import ReferenceIndex

from content.models import Regulation
from courses.models import CoursePage, LessonPage
from exams.models import AttemptQuestion

from .affected import text_digest
from .models import (
    Certificate,
    CertificateBasis,
    IssuanceKind,
    IssuanceRequest,
)


def regulations_for(request: IssuanceRequest) -> set[int]:
    """The regulation versions an issuance covers (primary keys). Five queries, whatever the
    number of courses, lessons, questions and articles."""
    cited = cited_by_lessons(_courses(request)) | _cited_by_paper(request.attempt_id)
    if not cited:
        return set()
    rows = dict(
        Regulation.objects.filter(pk__in=cited).order_by().values_list("pk", "superseded_by")
    )
    # A row deleted since it was cited is left out (``rows`` holds only those that exist).
    return without_superseded(rows)


def without_superseded(successors: Mapping[int, int | None]) -> set[int]:
    """The versions to cover among those cited, given each one's ``superseded_by`` id: a
    version whose successor is cited too is left out (a comparison of the two editions
    teaches the newer one). No query."""
    return {pk for pk, successor in successors.items() if successor not in successors}


def record_basis(certificate: Certificate, request: IssuanceRequest) -> list[CertificateBasis]:
    """Record the certificate's basis, computed from its issuance request (call it inside the
    transaction that saves the certificate). Seven queries."""
    return record_regulations(certificate, regulations_for(request))


def record_regulations(
    certificate: Certificate, regulation_ids: Iterable[int]
) -> list[CertificateBasis]:
    """Add these regulation versions to the certificate's basis, each with the digest of its
    current text. Versions already recorded are left as they are (recording twice changes
    nothing); ids of rows that do not exist are ignored. Two queries (none for no ids).

    The entries returned may lack a primary key: the insert skips conflicts, and not every
    database reports the ids of such a bulk insert.
    """
    wanted = {pk for pk in regulation_ids if pk}
    if not wanted:
        return []
    regulations = Regulation.objects.filter(pk__in=wanted).only("text").order_by("pk")
    entries = [
        CertificateBasis(
            certificate=certificate, regulation=regulation, text_digest=text_digest(regulation.text)
        )
        for regulation in regulations
    ]
    return CertificateBasis.objects.bulk_create(entries, ignore_conflicts=True)


# --- Reading it back ------------------------------------------------------------------------------


@dataclass
class StatuteBasis:
    """The articles of one statute in a certificate's basis, in article order."""

    short_name: str
    statute: str
    articles: list[Regulation] = field(default_factory=list)


def basis_of(certificate: Certificate) -> list[Regulation]:
    """The regulation versions in the certificate's basis, each with its successor if it has
    been superseded since (``superseded_by``, loaded): by statute, then article. One query."""
    regulations = Regulation.objects.filter(certificate_bases__certificate=certificate)
    return sorted(regulations.select_related("superseded_by"), key=_article_order)


def by_statute(regulations: Iterable[Regulation]) -> list[StatuteBasis]:
    """Articles grouped by statute, keeping their order."""
    groups: dict[str, StatuteBasis] = {}
    for regulation in regulations:
        group = groups.setdefault(
            regulation.short_name, StatuteBasis(regulation.short_name, regulation.statute)
        )
        group.articles.append(regulation)
    return list(groups.values())


def _article_order(regulation: Regulation) -> tuple:
    """Statute, then article number as numbers (第二百九十三条之一, "293-1", after 293), then
    edition (the 2012 第四十二条 before a 2025 第四十二条)."""
    number = tuple(int(part) for part in re.findall(r"\d+", regulation.article_no))
    return (regulation.short_name, number, regulation.effective_date or date.min, regulation.pk)


# --- Where the citations come from ----------------------------------------------------------------


def _courses(request: IssuanceRequest) -> Q:
    """The courses whose lessons count for this issuance, as a filter on course pages."""
    programme = request.programme
    courses = Q(programmes=programme)
    if request.kind == IssuanceKind.RENEWAL and programme.refresher_course_id:
        courses |= Q(pk=programme.refresher_course_id)
    return courses


def cited_by_lessons(courses: Q) -> set[int]:
    """Articles the live lessons of these courses (a filter on course pages) cite (three
    queries)."""
    places = list(CoursePage.objects.filter(courses).values_list("path", "depth"))
    if not places:
        return set()
    children = Q()
    for path, depth in places:
        children |= Q(path__startswith=path, depth=depth + 1)
    lessons = LessonPage.objects.live().filter(children).values_list("pk", flat=True)
    lesson_ids = [str(pk) for pk in lessons]
    if not lesson_ids:
        return set()
    references = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(LessonPage),
        object_id__in=lesson_ids,
        to_content_type=ContentType.objects.get_for_model(Regulation),
    ).values_list("to_object_id", flat=True)
    return {int(pk) for pk in references}


def _cited_by_paper(attempt_id: int | None) -> set[int]:
    """Articles the questions of this attempt's paper cite, case sub-questions included (one
    query: each row's version snapshot and its case's)."""
    if attempt_id is None:
        return set()
    cited: set[int] = set()
    rows = AttemptQuestion.objects.filter(attempt_id=attempt_id).values_list(
        "version__data", "case__data"
    )
    for version, case in rows:
        for data in (version, case):
            if data:
                cited |= cited_by_snapshot(data)
    return cited


def cited_by_snapshot(data: dict) -> set[int]:
    found = {data["regulation_id"]} if data.get("regulation_id") else set()
    for sub in data.get("sub_questions") or ():
        found |= cited_by_snapshot(sub)
    return found
