"""Compliance ratings: each collector's current rating, its append-only history, and firms'.

The current rating (:class:`CollectorRating`, one row per collector) is what dashboards and the
API read; every change to it appends a :class:`RatingSnapshot` with the formula version, the
inputs and the reason, so any grade can be explained later. Firms get the same pair.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class AppendOnly(models.Model):
    """Rows are history: they are written once and never changed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError("Rating snapshots are append-only.")
        super().save(*args, **kwargs)


class CollectorRating(models.Model):
    """A collector's current rating (kept in step with the latest snapshot).

    Its references to the user and the firm, and the snapshot's to the user, are relations in
    Django but carry no foreign-key constraint in the database: the nightly recompute writes a
    million of these rows, and checking each reference locks (and so rewrites) the referenced
    user's row, a third of the database's cost of the whole run. Django still deletes and
    nulls them with the user or firm (``on_delete`` is Django's, not the database's); the
    full recompute drops any rating whose user is gone (:mod:`lms.compliance.recompute`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.CASCADE,
        related_name="rating",
        primary_key=True,
        db_constraint=False,  # see the class docstring
    )
    firm = models.ForeignKey(
        "accounts.Firm",
        verbose_name=_("firm"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="collector_ratings",
        # rating_firm_grade_idx (firm, grade) serves every lookup by firm: a second index would
        # only cost each of the nightly recompute's writes.
        db_index=False,
        db_constraint=False,  # see the class docstring
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("rating grade"), max_length=1, choices=Grade.choices)
    formula_version = models.CharField(_("formula version"), max_length=20)
    components = models.JSONField(_("components"), default=dict)
    inputs = models.JSONField(_("inputs"), default=dict)
    certificate_status = models.CharField(_("certificate status"), max_length=12, blank=True)
    certificate_expires_at = models.DateTimeField(_("certificate expires"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    # What lets the nightly recompute skip a collector (lms/compliance/fingerprints.py): a hash
    # of the rows the formula read, and the first moment the result may change with no new
    # input (a certificate expiring, a finding fading a day more); null: no such moment.
    input_fingerprint = models.BigIntegerField(
        _("input fingerprint"), null=True, blank=True, editable=False
    )
    recheck_at = models.DateTimeField(_("recheck at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("collector rating")
        verbose_name_plural = _("collector ratings")
        indexes = [models.Index(fields=["firm", "grade"], name="rating_firm_grade_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.grade} ({self.score})"


class RatingSnapshot(AppendOnly):
    """One change of a collector's rating: the result, the formula version, what went in, why."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.CASCADE,
        related_name="rating_snapshots",
        db_index=False,  # snapshot_user_time_idx (user, -created_at) serves lookups by user
        db_constraint=False,  # as CollectorRating's: written by the million
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("rating grade"), max_length=1, choices=Grade.choices)
    formula_version = models.CharField(_("formula version"), max_length=20)
    components = models.JSONField(_("components"), default=dict)
    inputs = models.JSONField(_("inputs"), default=dict)
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating snapshot")
        verbose_name_plural = _("rating snapshots")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="snapshot_user_time_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.grade} @ {self.created_at:%Y-%m-%d}"


class FirmRating(models.Model):
    """A firm's current aggregate over its active collectors, and whether it needs review.

    ``flagged`` asks a human to look at the firm's admission; it never changes the status.
    """

    firm = models.OneToOneField(
        "accounts.Firm",
        verbose_name=_("firm"),
        on_delete=models.CASCADE,
        related_name="rating",
        primary_key=True,
    )
    active_collectors = models.PositiveIntegerField(_("active collectors"), default=0)
    certified_share = models.DecimalField(
        _("share certified"), max_digits=5, decimal_places=4, default=0
    )
    mean_score = models.DecimalField(_("mean score"), max_digits=5, decimal_places=2, default=0)
    findings_per_100 = models.DecimalField(
        _("confirmed findings per 100 collectors"), max_digits=8, decimal_places=2, default=0
    )
    grade_counts = models.JSONField(_("collectors by grade"), default=dict)
    flagged = models.BooleanField(_("flagged for review"), default=False)
    flag_reasons = models.JSONField(_("flag reasons"), default=list)
    formula_version = models.CharField(_("formula version"), max_length=20)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("firm rating")
        verbose_name_plural = _("firm ratings")

    def __str__(self) -> str:
        return f"{self.firm} ({self.certified_share:.0%} certified)"


class FirmRatingSnapshot(AppendOnly):
    """A firm's aggregate when it changed (the dashboard's coverage-over-time chart reads it)."""

    firm = models.ForeignKey(
        "accounts.Firm", on_delete=models.CASCADE, related_name="rating_snapshots"
    )
    active_collectors = models.PositiveIntegerField(default=0)
    certified_share = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    mean_score = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    findings_per_100 = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    grade_counts = models.JSONField(default=dict)
    flagged = models.BooleanField(default=False)
    flag_reasons = models.JSONField(default=list)
    formula_version = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("firm rating snapshot")
        verbose_name_plural = _("firm rating snapshots")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "-created_at"], name="firm_snapshot_time_idx")]

    def __str__(self) -> str:
        return f"{self.firm} @ {self.created_at:%Y-%m-%d}"
