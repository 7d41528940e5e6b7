"""The admission checklist (尽调问卷): versioned, with sections, weighted questions and answers.

A questionnaire is edited as a draft and then published; a published version is never edited
again (applications scored on it must stay explainable), so a change is a new version copied
from the last one. Scoring is documented in ``lms/admission/scoring.py`` and shown to applicants.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from lms.accounts.models import FirmKind

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Questionnaire(ClusterableModel):
    """One version of the checklist for one kind of firm (lender or agency).

    At most one version per kind is published at a time; publishing a new one retires the
    previous. Applications keep the version they were answered on.
    """

    firm_kind = models.CharField(_("for firms of kind"), max_length=10, choices=FirmKind.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuestionnaireStatus.choices,
        default=QuestionnaireStatus.DRAFT,
        editable=False,
    )
    introduction = models.TextField(_("introduction for applicants"), blank=True)
    admit_score = models.DecimalField(
        _("score to admit"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(75),
        validators=PERCENT,
        help_text=_("A total at or above this suggests admission (0–100)."),
    )
    conditional_score = models.DecimalField(
        _("score to admit with conditions"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(60),
        validators=PERCENT,
        help_text=_(
            "A total at or above this (and below the score to admit) suggests admission "
            "with conditions; below it, rejection."
        ),
    )
    validity_days = models.PositiveIntegerField(
        _("admission valid for (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3 * 366)],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("admission questionnaire")
        verbose_name_plural = _("admission questionnaires")
        ordering = ["firm_kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm_kind", "version"], name="questionnaire_one_number_per_version"
            ),
            models.UniqueConstraint(
                fields=["firm_kind"],
                condition=Q(status="published"),
                name="questionnaire_one_published_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(conditional_score__lte=models.F("admit_score")),
                name="questionnaire_conditional_below_admit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == QuestionnaireStatus.DRAFT

    @classmethod
    def current(cls, firm_kind: str) -> Questionnaire | None:
        """The published version applicants of ``firm_kind`` answer now."""
        return cls.objects.filter(firm_kind=firm_kind, status=QuestionnaireStatus.PUBLISHED).first()


class Section(ClusterableModel, Orderable):
    """A part of the questionnaire (company basics, capability, cooperation history, …),
    scored on its own and weighted into the total."""

    questionnaire = ParentalKey(Questionnaire, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=200)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("The applicant chooses an answer")
    JUDGEMENT = "judgement", _("A reviewer scores it (0–100)")
    METRIC = "metric", _("From the platform's own data (re-assessments)")


class EvidenceRule(models.TextChoices):
    NONE = "none", _("No evidence")
    OPTIONAL = "optional", _("Evidence optional")
    REQUIRED = "required", _("Evidence required")


class Metric(models.TextChoices):
    """Training readiness, measured on the platform for firms already on it."""

    CERTIFIED_SHARE = "certified_share", _("Share of active collectors with valid certificates (%)")
    MEAN_SCORE = "mean_score", _("Mean compliance score of active collectors (0–100)")
    FLAG_COUNT = "flag_count", _("Number of rating flags on the firm")
    FINDINGS_PER_100 = "findings_per_100", _("Confirmed findings per 100 collectors (365 days)")
    OVERDUE_PER_100 = "overdue_per_100", _("Overdue programme assignments per 100 collectors")


class Question(ClusterableModel, Orderable):
    """A weighted question. Choice questions score by the chosen option's points; judgement
    questions by a reviewer; metric questions from the platform's data, linearly between the
    value that scores 0 and the value that scores 100 (either may be the larger)."""

    section = ParentalKey(Section, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=500)
    guidance = models.TextField(_("guidance"), blank=True)
    kind = models.CharField(
        _("answered by"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.CHOICE
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=EvidenceRule.choices, default=EvidenceRule.NONE
    )
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices, blank=True)
    metric_zero = models.DecimalField(
        _("value scoring 0"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    metric_full = models.DecimalField(
        _("value scoring 100"), max_digits=9, decimal_places=2, null=True, blank=True
    )

    class Meta(Orderable.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class AnswerOption(Orderable):
    """One answer to a choice question, worth 0–100 points; a blocker answer forces rejection
    (an admission despite it needs two people)."""

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("answer"), max_length=300)
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    is_blocker = models.BooleanField(
        _("blocker"),
        default=False,
        help_text=_(
            "Choosing this forces rejection, e.g. a confirmed record of violent collection."
        ),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")

    def __str__(self) -> str:
        return self.label
