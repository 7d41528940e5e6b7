"""Which lessons teach an article of law: the lessons whose body cites it.

A lesson cites the regulation library through its law-citation block (and names the rule a
dialogue's non-compliant response breaks). Wagtail's reference index (``ReferenceIndex``)
already records every such reference when a page is saved — it is what the admin's "usage"
screens read — so finding the lessons that cite some articles is one indexed look-up, never a
scan of lesson bodies. The page row holds the live content (drafts live in revisions), so the
index describes what learners see.

An article and the edition it replaced, or that replaced it, teach the same rule: a lesson
written on the 2012 numbering of 治安管理处罚法 still helps with a question on the 2025 one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.models import ReferenceIndex

from content.models import Regulation

from .models import LessonPage


def _editions(regulation_ids: set[int]) -> dict[int, set[int]]:
    """Each article with its predecessors and successor (one query)."""
    editions = {pk: {pk} for pk in regulation_ids}
    rows = (
        Regulation.objects.filter(Q(pk__in=regulation_ids) | Q(superseded_by__in=regulation_ids))
        .order_by()
        .values_list("pk", "superseded_by")
    )
    for pk, successor in rows:
        if pk in editions and successor is not None:
            editions[pk].add(successor)
        if successor in editions:
            editions[successor].add(pk)
    return editions


def lessons_citing(regulation_ids: Iterable[int]) -> dict[int, list[LessonPage]]:
    """Live lessons citing each article (or another edition of it), in course order.

    Four queries (editions, references, view restrictions, lessons) whatever the number of
    articles or lessons; articles no lesson cites are left out of the result.
    """
    wanted = {pk for pk in regulation_ids if pk}
    if not wanted:
        return {}
    editions = _editions(wanted)
    cited = {str(pk) for pks in editions.values() for pk in pks}
    references = ReferenceIndex.objects.filter(
        content_type=ContentType.objects.get_for_model(LessonPage),
        to_content_type=ContentType.objects.get_for_model(Regulation),
        to_object_id__in=cited,
    ).values_list("object_id", "to_object_id")
    lessons_by_article: dict[int, set[int]] = {}
    for lesson_id, article_id in references:
        lessons_by_article.setdefault(int(article_id), set()).add(int(lesson_id))
    lesson_ids = set().union(*lessons_by_article.values()) if lessons_by_article else set()
    lessons = list(
        LessonPage.objects.live().public().filter(pk__in=lesson_ids).defer("body").order_by("path")
    )
    found: dict[int, list[LessonPage]] = {}
    for pk, pks in editions.items():
        teaching = set().union(*(lessons_by_article.get(edition, set()) for edition in pks))
        matching = [lesson for lesson in lessons if lesson.pk in teaching]
        if matching:
            found[pk] = matching
    return found
