"""Record the legal basis of certificates issued before bases were recorded (issue 13).

A certificate issued before this release has no ``CertificateBasis`` rows, so a law change
never reaches it (``affected`` reads the basis). :func:`backfill` records, for each such
certificate, its basis *as it was at issuance* as far as the data allows — the same two parts
``basis.regulations_for`` computes for a new certificate:

* the paper: the regulation ids in the frozen question snapshots of the attempt the holder sat
  (exact — snapshots never change);
* the lessons: each lesson of the programme's required courses (renewal: plus the refresher
  course) as it was live at ``issued_at`` — the revision of the latest ``wagtail.publish`` log
  entry at or before then (a later ``wagtail.unpublish`` means it was not live; a lesson never
  published before the issuance is skipped). Its citations are read from the page rebuilt from
  that revision (``Revision.as_object``) by ``impact.regulations_cited_by``, the StreamField
  extraction the reference index and the publish hook use (law-citation blocks and the rule a
  dialogue names).

An old edition cited beside its successor counts as the successor only (``without_superseded``).

Each entry's digest is that of the article's *current* text (old texts are not kept), except
when a correction of that version (``RegulationChange`` of kind corrected) was loaded after
``issued_at``: then the earliest such change's ``old_text`` — the wording in force at issuance.

Limits: the programme's courses and the lessons' place in the tree are today's, not those at
issuance; lessons deleted since are gone; a legal-update refresh is treated like an initial
issuance (it has no paper).

Queries: two to start (the count of certificates already recorded, the ids to do), then
certificates in batches (``batch_size``), each in one transaction with ten queries whatever its
size (certificates, programme courses, course paths, lessons, publish log, revisions,
questions, articles, corrections, insert), plus about five for each lesson revision first met
in the run (Wagtail rebuilding the page from it; its citations are then cached for the run).
So never more than a constant number per certificate, and none per certificate × lesson.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from wagtail.models import PageLogEntry, Revision

from content.models import Regulation, RegulationChange
from courses.models import CoursePage, LessonPage
from exams.models import AttemptQuestion

from .affected import text_digest
from .basis import cited_by_snapshot, without_superseded
from .impact import regulations_cited_by
from .models import (
    Certificate,
    CertificateBasis,
    CertificateStatus,
    CertificationProgramme,
    IssuanceKind,
)

# What a backfill covers by default: the certificates a law change must still reach.
DEFAULT_STATUSES = (CertificateStatus.VALID, CertificateStatus.SUSPENDED)
PUBLISH, UNPUBLISH = "wagtail.publish", "wagtail.unpublish"


@dataclass
class Backfilled:
    """One certificate's backfilled basis."""

    certificate: Certificate
    entries: list[CertificateBasis]


@dataclass
class BackfillResult:
    certificates: int = 0  # certificates that got a basis (at least one article)
    articles: int = 0  # basis entries recorded
    skipped: int = 0  # certificates in scope that already had a basis
    empty: int = 0  # certificates with no basis rows before or after: nothing cited
    done: list[Backfilled] = field(default_factory=list)


def without_basis(statuses: Iterable[str] | None = DEFAULT_STATUSES):
    """Certificates (in ``statuses``; ``None``: all) that have no basis rows."""
    certificates = Certificate.objects.all()
    if statuses is not None:
        certificates = certificates.filter(status__in=list(statuses))
    return certificates.filter(~Exists(CertificateBasis.objects.filter(certificate=OuterRef("pk"))))


def backfill(
    *,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    dry_run: bool = False,
    batch_size: int = 200,
    report: Callable[[Backfilled], None] | None = None,
) -> BackfillResult:
    """Record the basis of every certificate in ``statuses`` that has none (see the module
    docstring). Running it again records nothing new; ``dry_run`` computes without writing.
    ``report`` is called with each certificate's entries (after its batch is written)."""
    statuses = None if statuses is None else list(statuses)
    result = BackfillResult()
    scope = Certificate.objects.all()
    if statuses is not None:
        scope = scope.filter(status__in=statuses)
    result.skipped = scope.filter(
        Exists(CertificateBasis.objects.filter(certificate=OuterRef("pk")))
    ).count()
    pending = without_basis(statuses).order_by("pk").values_list("pk", flat=True)
    builder = _BasisBuilder()
    for pks in batched(pending.iterator(chunk_size=batch_size), batch_size):
        with transaction.atomic():
            # Checked again inside the transaction: a concurrent run may have got there first.
            batch = list(
                without_basis(None)
                .filter(pk__in=pks)
                .select_related("request", "programme")
                .order_by("pk")
            )
            computed = builder.entries_for(batch)
            if not dry_run:
                CertificateBasis.objects.bulk_create(
                    [entry for item in computed for entry in item.entries],
                    ignore_conflicts=True,
                )
        for item in computed:
            if item.entries:
                result.certificates += 1
                result.articles += len(item.entries)
            else:
                result.empty += 1
            result.done.append(item)
            if report:
                report(item)
    return result


class _BasisBuilder:
    """Computes the basis of a batch of certificates; caches each lesson revision's citations
    for the whole run."""

    def __init__(self) -> None:
        self.cited_by_revision: dict[int, set[int]] = {}

    def entries_for(self, certificates: list[Certificate]) -> list[Backfilled]:
        if not certificates:
            return []
        lessons = self._lessons_by_certificate(certificates)
        live = self._live_revisions(certificates, lessons)
        self._load_revisions({pk for revisions in live.values() for pk in revisions})
        papers = self._cited_by_papers(certificates)
        cited = {
            certificate.pk: papers.get(certificate.request.attempt_id or 0, set()).union(
                *(self.cited_by_revision[pk] for pk in live[certificate.pk])
            )
            for certificate in certificates
        }
        articles = set().union(*cited.values())
        rows = {
            pk: (successor, text)
            for pk, successor, text in Regulation.objects.filter(pk__in=articles)
            .order_by()
            .values_list("pk", "superseded_by", "text")
        }
        corrections = self._corrections(articles, min(c.issued_at for c in certificates))
        backfilled = []
        for certificate in certificates:
            successors = {pk: rows[pk][0] for pk in cited[certificate.pk] if pk in rows}
            entries = [
                CertificateBasis(
                    certificate=certificate,
                    regulation_id=pk,
                    text_digest=text_digest(
                        _text_at(rows[pk][1], corrections.get(pk, ()), certificate.issued_at)
                    ),
                )
                for pk in sorted(without_superseded(successors))
            ]
            backfilled.append(Backfilled(certificate, entries))
        return backfilled

    def _lessons_by_certificate(self, certificates: list[Certificate]) -> dict[int, set[int]]:
        """Each certificate's lessons (ids): the lessons under its programme's required courses,
        and its refresher course for a renewal, whether live today or not (three queries)."""
        programme_ids = {c.programme_id for c in certificates}
        through = CertificationProgramme.required_courses.through
        courses_of: dict[int, set[int]] = defaultdict(set)
        for programme_id, course_id in through.objects.filter(
            certificationprogramme_id__in=programme_ids
        ).values_list("certificationprogramme_id", "coursepage_id"):
            courses_of[programme_id].add(course_id)
        refreshers = {
            c.programme.refresher_course_id
            for c in certificates
            if c.request.kind == IssuanceKind.RENEWAL and c.programme.refresher_course_id
        }
        course_ids = set().union(*courses_of.values(), refreshers)
        paths = dict(CoursePage.objects.filter(pk__in=course_ids).values_list("path", "pk"))
        lessons_of: dict[int, set[int]] = defaultdict(set)
        if paths:
            children = Q()
            for path in paths:
                children |= Q(path__startswith=path, depth=len(path) // LessonPage.steplen + 1)
            for pk, path in LessonPage.objects.filter(children).values_list("pk", "path"):
                lessons_of[paths[path[: -LessonPage.steplen]]].add(pk)
        by_certificate = {}
        for certificate in certificates:
            courses = set(courses_of[certificate.programme_id])
            refresher = certificate.programme.refresher_course_id
            if certificate.request.kind == IssuanceKind.RENEWAL and refresher:
                courses.add(refresher)
            by_certificate[certificate.pk] = set().union(*(lessons_of[c] for c in courses))
        return by_certificate

    def _live_revisions(
        self, certificates: list[Certificate], lessons: dict[int, set[int]]
    ) -> dict[int, set[int]]:
        """For each certificate, the revisions of its lessons live at ``issued_at`` (one
        query: the publish and unpublish log entries of those lessons up to the last issuance)."""
        lesson_ids = set().union(*lessons.values())
        history: dict[int, list[tuple[datetime, str, int | None]]] = defaultdict(list)
        if lesson_ids:
            entries = (
                PageLogEntry.objects.filter(
                    page_id__in=lesson_ids,
                    action__in=(PUBLISH, UNPUBLISH),
                    timestamp__lte=max(c.issued_at for c in certificates),
                )
                .order_by("timestamp", "pk")
                .values_list("page_id", "timestamp", "action", "revision_id")
            )
            for page_id, timestamp, action, revision_id in entries:
                history[page_id].append((timestamp, action, revision_id))
        live: dict[int, set[int]] = {}
        for certificate in certificates:
            revisions: set[int] = set()
            for lesson in lessons[certificate.pk]:
                events = history.get(lesson, [])
                at = bisect.bisect_right([e[0] for e in events], certificate.issued_at)
                if at:
                    _timestamp, action, revision_id = events[at - 1]
                    if action == PUBLISH and revision_id is not None:
                        revisions.add(revision_id)
            live[certificate.pk] = revisions
        return live

    def _load_revisions(self, revision_ids: set[int]) -> None:
        """Extract the regulation citations of the revisions not seen yet in this run."""
        new = revision_ids - self.cited_by_revision.keys()
        if not new:
            return
        for revision in Revision.objects.filter(pk__in=new).prefetch_related("content_object"):
            self.cited_by_revision[revision.pk] = regulations_cited_by(revision.as_object())
        for pk in new - self.cited_by_revision.keys():  # a revision deleted since
            self.cited_by_revision[pk] = set()

    @staticmethod
    def _cited_by_papers(certificates: list[Certificate]) -> dict[int, set[int]]:
        """Articles cited by each attempt's paper, case sub-questions included (one query)."""
        attempt_ids = {
            c.request.attempt_id for c in certificates if c.request.attempt_id is not None
        }
        cited: dict[int, set[int]] = defaultdict(set)
        rows = AttemptQuestion.objects.filter(attempt_id__in=attempt_ids).values_list(
            "attempt_id", "version__data", "case__data"
        )
        for attempt_id, version, case in rows:
            for data in (version, case):
                if data:
                    cited[attempt_id] |= cited_by_snapshot(data)
        return cited

    @staticmethod
    def _corrections(articles: set[int], since: datetime) -> dict[int, list[tuple[datetime, str]]]:
        """Corrections of these articles loaded after ``since``, oldest first (one query)."""
        found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        if not articles:
            return found
        rows = (
            RegulationChange.objects.filter(
                kind=RegulationChange.Kind.CORRECTED, old_id__in=articles, detected_at__gt=since
            )
            .order_by("detected_at", "pk")
            .values_list("old_id", "detected_at", "old_text")
        )
        for pk, detected_at, old_text in rows:
            found[pk].append((detected_at, old_text))
        return found


def _text_at(current: str, corrections: Iterable[tuple[datetime, str]], when: datetime) -> str:
    """The wording in force at ``when``: the old text of the first correction after it, if
    any (``corrections`` oldest first), else today's."""
    for detected_at, old_text in corrections:
        if detected_at > when:
            return old_text
    return current
