"""Question banks: categories, questions with weighted choices, and frozen question versions."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.managers import TaggableManager
from wagtail.fields import RichTextField
from wagtail.models import Orderable


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "truefalse", _("True/false")
    CASE = "case", _("Case scenario")


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


class QuestionBank(models.Model):
    """A named pool of questions that exams draw from (e.g. 合规催收题库)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuestionCategory(models.Model):
    """A topic within a bank; categories nest as Moodle's do, so imports keep their structure."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(_("name"), max_length=255)
    info = models.TextField(_("description"), blank=True)
    idnumber = models.CharField(_("ID number"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "parent", "name"], name="questioncategory_unique_name"
            ),
            models.UniqueConstraint(
                fields=["bank", "name"],
                condition=models.Q(parent__isnull=True),
                name="questioncategory_unique_top_name",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """ "Parent/Child" — walks up the tree: one query per level."""
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names))


class Question(ClusterableModel):
    """An editable question. What attempts see is a frozen :class:`QuestionVersion` of it.

    A *case* question holds the shared case text in ``stem`` and has sub-questions (``parent``
    set) of the other types; exams draw the case with all its sub-questions.
    """

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sub_questions",
        help_text=_("For a sub-question of a case scenario: the case it belongs to."),
    )
    type = models.CharField(_("type"), max_length=16, choices=QuestionType.choices)
    name = models.CharField(_("name"), max_length=255, help_text=_("A short title for lists."))
    idnumber = models.CharField(_("ID number"), max_length=100, blank=True)
    stem = RichTextField(_("question"), features=["bold", "italic", "ol", "ul", "link", "image"])
    explanation = RichTextField(
        _("explanation"),
        blank=True,
        features=["bold", "italic", "ol", "ul", "link"],
        help_text=_("Shown in the review after submission (Moodle's general feedback)."),
    )
    regulation = models.ForeignKey(
        "content.Regulation",
        verbose_name=_("cited regulation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    difficulty = models.CharField(
        _("difficulty"), max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    default_mark = models.DecimalField(
        _("marks"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0, help_text=_("Order within a case."))
    tags = TaggableManager(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["bank", "category", "parent_id", "sort_order", "id"]
        indexes = [
            models.Index(
                fields=["bank", "category", "difficulty", "active"], name="question_draw_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Choice(Orderable):
    """An answer option. ``fraction`` is Moodle's grade: 1 = full marks, negative = penalty."""

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.TextField(_("text"))
    fraction = models.DecimalField(
        _("grade"),
        max_digits=8,
        decimal_places=7,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("-1")), MaxValueValidator(Decimal("1"))],
        help_text=_("1 for a correct answer, 0 for a wrong one; fractions for partial credit."),
    )
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


class QuestionVersion(models.Model):
    """An immutable snapshot of a question as it was when a paper used it.

    ``data`` holds everything grading and review need (type, stem, choices with their ids,
    fractions and feedback, explanation, regulation id, marks, sub-question snapshots for a
    case), so editing or deleting the question never changes a past paper or score.
    ``fingerprint`` (a hash of ``data``) lets an unchanged question reuse its last version.
    """

    question = models.ForeignKey(
        Question, null=True, on_delete=models.SET_NULL, related_name="versions"
    )
    number = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question version")
        ordering = ["question", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="questionversion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.data.get('name', '?')} v{self.number}"
