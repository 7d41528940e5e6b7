"""Versioning of the admission questionnaire: publishing a draft, and starting a new version.

A published version is frozen because applications are scored on it and their scores must stay
explainable; a change is made on a new draft copied from it (``new_version``) and published in
its place (``publish``), which retires the previous published version of the same kind of firm.
Both write a Wagtail log entry, so the questionnaire's history shows who did it and when.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from .models import (
    AnswerOption,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireStatus,
    Section,
)

PUBLISH_ACTION = "admission.questionnaire.publish"
NEW_VERSION_ACTION = "admission.questionnaire.new_version"


def problems(questionnaire: Questionnaire) -> list[str]:
    """Everything that stops ``questionnaire`` from being published (empty: it may be)."""
    found: list[str] = []
    sections = list(questionnaire.sections.prefetch_related("questions__options"))
    if not sections:
        found.append(_("The questionnaire has no section."))
    if sections and not any(section.questions.all() for section in sections):
        found.append(_("The questionnaire has no question."))
    for section in sections:
        if not section.questions.all():
            found.append(_("Section “%(section)s” has no question.") % {"section": section})
        for question in section.questions.all():
            names = {"section": section, "question": question}
            if question.kind == QuestionKind.CHOICE and not question.options.all():
                found.append(
                    _("“%(question)s” (%(section)s) is a choice question without options.") % names
                )
            if question.kind == QuestionKind.METRIC and (
                not question.metric or question.metric_zero is None or question.metric_full is None
            ):
                found.append(
                    _(
                        "“%(question)s” (%(section)s) is a metric question: it needs a metric "
                        "and both the value scoring 0 and the value scoring 100."
                    )
                    % names
                )
            same = question.metric_zero is not None and question.metric_zero == question.metric_full
            if question.kind == QuestionKind.METRIC and same:
                found.append(
                    _(
                        "“%(question)s” (%(section)s): the value scoring 0 and the value "
                        "scoring 100 must differ."
                    )
                    % names
                )
    return found


@transaction.atomic
def publish(questionnaire: Questionnaire, *, by) -> Questionnaire:
    """Publish the draft ``questionnaire`` and retire the published version of its kind.

    Raises ``ValidationError`` (listing every problem) if it is not a draft or not complete.
    """
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.status != QuestionnaireStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be published; this version is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    found = problems(locked)
    if found:
        raise ValidationError(found)
    # Retire first: at most one published version per kind (a unique constraint).
    Questionnaire.objects.filter(
        firm_kind=locked.firm_kind, status=QuestionnaireStatus.PUBLISHED
    ).update(status=QuestionnaireStatus.RETIRED)
    locked.status = QuestionnaireStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = by
    locked.save(update_fields=["status", "published_at", "published_by"])
    log(locked, PUBLISH_ACTION, user=by)
    return locked


def next_version(firm_kind: str) -> int:
    """The number a new version for ``firm_kind`` takes: one above the highest so far. The
    unique (kind, version) constraint refuses the loser of a race instead of numbering twice."""
    highest = Questionnaire.objects.filter(firm_kind=firm_kind).aggregate(Max("version"))
    return (highest["version__max"] or 0) + 1


@transaction.atomic
def new_version(questionnaire: Questionnaire, *, by) -> Questionnaire:
    """A draft copy of ``questionnaire`` (sections, questions, options) numbered after the
    highest version of its kind, to be edited and published in its place."""
    # Lock the kind's versions so two copies made at once cannot take the same number.
    list(
        Questionnaire.objects.select_for_update()
        .filter(firm_kind=questionnaire.firm_kind)
        .values_list("pk", flat=True)
    )
    copy = Questionnaire.objects.create(
        firm_kind=questionnaire.firm_kind,
        title=questionnaire.title,
        version=next_version(questionnaire.firm_kind),
        status=QuestionnaireStatus.DRAFT,
        introduction=questionnaire.introduction,
        admit_score=questionnaire.admit_score,
        conditional_score=questionnaire.conditional_score,
        validity_days=questionnaire.validity_days,
    )
    for section in questionnaire.sections.prefetch_related("questions__options").order_by(
        "sort_order", "pk"
    ):
        new_section = Section.objects.create(
            questionnaire=copy,
            title=section.title,
            weight=section.weight,
            sort_order=section.sort_order,
        )
        for question in sorted(section.questions.all(), key=lambda q: (q.sort_order or 0, q.pk)):
            new_question = Question.objects.create(
                section=new_section,
                text=question.text,
                guidance=question.guidance,
                kind=question.kind,
                weight=question.weight,
                evidence=question.evidence,
                metric=question.metric,
                metric_zero=question.metric_zero,
                metric_full=question.metric_full,
                sort_order=question.sort_order,
            )
            AnswerOption.objects.bulk_create(
                AnswerOption(
                    question=new_question,
                    label=option.label,
                    points=option.points,
                    is_blocker=option.is_blocker,
                    sort_order=option.sort_order,
                )
                for option in sorted(
                    question.options.all(), key=lambda o: (o.sort_order or 0, o.pk)
                )
            )
    log(copy, NEW_VERSION_ACTION, user=by, data={"from_version": questionnaire.version})
    return copy


def register_log_actions(actions) -> None:
    """The questionnaire's history entries (registered with ``register_log_actions``)."""
    actions.register_action(
        PUBLISH_ACTION,
        gettext_lazy("Publish questionnaire"),
        gettext_lazy("Questionnaire version published"),
    )
    actions.register_action(
        NEW_VERSION_ACTION,
        gettext_lazy("New questionnaire version"),
        gettext_lazy("New draft version created"),
    )
