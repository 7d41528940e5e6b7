"""The regulation library: verbatim statute articles that lessons and exam questions cite."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index

from ..segmentation import segment


class RegulationTopic(models.TextChoices):
    CRIMINAL_LAW = "criminal-law", _("Criminal law")
    PUBLIC_SECURITY_LAW = "public-security-law", _("Public-security law")
    PERSONAL_INFORMATION = "personal-information", _("Personal information")
    CIVIL_LAW = "civil-law", _("Civil law")
    BANKING_RULES = "banking-rules", _("Banking rules")


class Regulation(index.Indexed, models.Model):
    """One article of a statute or judicial interpretation, word for word as enacted.

    Lessons and questions cite these rows instead of retyping law, so a correction here reaches
    every citation. A new version of a statute is a new row (the key includes ``version``); the
    old row stays, pointing at its successor through ``superseded_by`` — that is how the 2012
    and 2025 numberings of 治安管理处罚法 are both explained.
    """

    statute = models.CharField(_("statute"), max_length=120)
    statute_en = models.CharField(_("statute (English)"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=40)
    article_label = models.CharField(
        _("article label"), max_length=40, help_text=_("As in the source, e.g. 第二百九十三条之一")
    )
    article_no = models.CharField(
        _("article number"), max_length=20, help_text=_("e.g. 293-1 for 第二百九十三条之一")
    )
    topic = models.CharField(_("topic"), max_length=32, choices=RegulationTopic.choices)
    crime_name = models.CharField(
        _("crime name"),
        max_length=60,
        blank=True,
        help_text=_("For criminal-law articles: the crime's name (罪名), e.g. 催收非法债务罪."),
    )
    text = models.TextField(_("verbatim text"), help_text=_("Paragraphs separated by new lines."))
    version = models.CharField(_("version"), max_length=255)
    effective_date = models.DateField(_("in force from"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=255)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
    )

    panels = [
        MultiFieldPanel(
            [
                "statute",
                "statute_en",
                FieldRowPanel(["short_name", "article_label", "article_no"]),
                "topic",
                "crime_name",
            ],
            heading=_("Article"),
        ),
        FieldPanel("text"),
        MultiFieldPanel(
            ["version", "effective_date", "source", "superseded_by"], heading=_("Version")
        ),
    ]

    search_fields = [
        index.SearchField("search_text"),
        index.AutocompleteField("short_name"),
        index.FilterField("topic"),
        index.FilterField("short_name"),
    ]

    class Meta:
        verbose_name = _("regulation")
        verbose_name_plural = _("regulations")
        ordering = ["short_name", "effective_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["short_name", "article_no", "version"], name="regulation_unique_version"
            )
        ]
        indexes = [models.Index(fields=["topic"], name="regulation_topic_idx")]

    def __str__(self) -> str:
        return f"{self.short_name} {self.article_label}（{self.edition_label}）"

    @property
    def edition_label(self) -> str:
        """A short version tag for display, e.g. "2026-01-01起施行"."""
        if self.effective_date:
            return _("in force from %(date)s") % {"date": self.effective_date.isoformat()}
        return self.version[:20]

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n") if p.strip()]

    @property
    def is_superseded(self) -> bool:
        return self.superseded_by_id is not None

    def search_text(self) -> str:
        """Statute, label and text, segmented into words for Chinese full-text search."""
        parts = (self.statute, self.short_name, self.article_label, self.crime_name, self.text)
        return segment(" ".join(parts))


class RegulationChange(models.Model):
    """A change to the law the library loader brought in, kept for good.

    Two kinds: an article version *superseded* by a newer one (the statute was revised; ``new``
    is the successor row), or the text of one version *corrected* (``new`` is the same row; the
    old wording survives only here). Certificates, lessons and questions that relied on ``old``
    are measured against it (the impact), and update modules attach to it. Both texts are
    snapshots taken when the change was loaded, so the diff a trainer reads never drifts.
    """

    class Kind(models.TextChoices):
        SUPERSEDED = "superseded", _("Superseded by a new version")
        CORRECTED = "corrected", _("Text corrected")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    old = models.ForeignKey(
        Regulation,
        verbose_name=_("old version"),
        on_delete=models.PROTECT,
        related_name="changes_from",
    )
    new = models.ForeignKey(
        Regulation,
        verbose_name=_("new version"),
        on_delete=models.PROTECT,
        related_name="changes_to",
    )
    old_text = models.TextField(_("old text"))
    new_text = models.TextField(_("new text"))
    detected_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    source = models.CharField(_("loaded from"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("regulation change")
        verbose_name_plural = _("regulation changes")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["old", "new"],
                condition=models.Q(kind="superseded"),
                name="regulationchange_superseded_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="corrected") | models.Q(old=models.F("new")),
                name="regulationchange_correction_same_row",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CORRECTED:
            return _("%(article)s corrected") % {"article": self.old}
        return _("%(old)s → %(new)s") % {"old": self.old, "new": self.new}

    @property
    def takes_effect(self):
        """The date the new wording applies from (a correction applies at once)."""
        if self.kind == self.Kind.SUPERSEDED and self.new.effective_date:
            return self.new.effective_date
        return timezone.localdate(self.detected_at)
