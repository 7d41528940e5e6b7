"""Exam pages: what an exam draws from its banks, its timing, attempts and review policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

from content.headings import TranslatedHeadingMixin

from .bank import Difficulty, QuestionBank, QuestionCategory


class ReviewPolicy(models.TextChoices):
    SCORE = "score", _("Score only")
    MARKS = "marks", _("Score and per-question right/wrong")
    FULL = "full", _("Score, right/wrong, correct answers and explanations")


class ExamIndexPage(TranslatedHeadingMixin, Page):
    """The list of exams (考试), under the home page."""

    default_titles = ("考试", "Exams")
    heading_label = _("Exams")

    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = Page.content_panels + ["intro"]
    parent_page_types = ["content.HomePage"]
    subpage_types = ["exams.ExamPage"]
    max_count = 1

    class Meta:
        verbose_name = _("exam index")


class ExamPage(Page):
    """A scored exam. Its blueprint (rules) says how many questions each paper draws from
    which bank, category and difficulty; every attempt freezes its own paper when it starts.
    """

    instructions = RichTextField(_("instructions"), blank=True, features=["bold", "ol", "ul"])
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), default=45, validators=[MinValueValidator(1)]
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=3, help_text=_("0 means unlimited.")
    )
    cooldown_hours = models.PositiveSmallIntegerField(_("hours between attempts"), default=0)
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_choices = models.BooleanField(_("shuffle choices"), default=True)
    review_policy = models.CharField(
        _("after submission show"),
        max_length=8,
        choices=ReviewPolicy.choices,
        default=ReviewPolicy.MARKS,
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    open_to_anyone = models.BooleanField(
        _("open to anyone"),
        default=False,
        help_text=_(
            "Let anyone start this exam. Otherwise, an exam that is the final or renewal exam "
            "of a certification programme can only be started once the programme's courses "
            "are completed."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("instructions"),
        InlinePanel("rules", heading=_("Blueprint"), label=_("Rule"), min_num=1),
        MultiFieldPanel(
            [
                FieldRowPanel(["time_limit_minutes", "pass_mark_percent"]),
                FieldRowPanel(["max_attempts", "cooldown_hours"]),
                FieldRowPanel(["shuffle_questions", "shuffle_choices"]),
                "review_policy",
                FieldRowPanel(["available_from", "available_until"]),
                "open_to_anyone",
            ],
            heading=_("Rules of the exam"),
        ),
    ]
    parent_page_types = ["exams.ExamIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("exam")

    def clean(self) -> None:
        super().clean()
        if self.available_from and self.available_until:
            if self.available_until <= self.available_from:
                raise ValidationError({"available_until": _("The exam must close after it opens.")})


class ExamRule(Orderable):
    """One line of an exam's blueprint: draw ``count`` questions matching these filters."""

    page = ParentalKey(ExamPage, on_delete=models.CASCADE, related_name="rules")
    bank = models.ForeignKey(QuestionBank, verbose_name=_("bank"), on_delete=models.PROTECT)
    category = models.ForeignKey(
        QuestionCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Leave empty to draw from the whole bank (sub-categories included)."),
    )
    difficulty = models.CharField(
        _("difficulty"), max_length=8, choices=Difficulty.choices, blank=True
    )
    count = models.PositiveSmallIntegerField(_("questions"), validators=[MinValueValidator(1)])

    panels = ["bank", "category", "difficulty", "count"]

    class Meta(Orderable.Meta):
        verbose_name = _("blueprint rule")
