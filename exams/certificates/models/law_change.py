"""When a law changes, certificates follow: legal basis, update modules, suspensions, tasks.

* :class:`CertificateBasis` fixes, at issuance, which regulation versions a certificate covers
  (with a digest of each text, so a later correction of the same version is visible too).
* :class:`UpdateModule` is the short "what changed" course a programme's holders must complete
  by a deadline after a :class:`content.RegulationChange`; :class:`UpdateNotice` records that a
  holder was told, exactly once.
* :class:`CertificateSuspension` is one period during which a certificate was suspended, why,
  by whom, and how it ended — suspension is reversible, unlike revocation.
* :class:`RegulationUpdateTask` is a trainer's task to update one lesson or question that
  cites a changed article.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long holders have to complete an update module, counted from the later of the module's
# publication and the date the new wording takes effect (README, "When a law changes").
DEFAULT_UPDATE_DAYS = 90


class CertificateBasis(models.Model):
    """One regulation version a certificate covers: cited by a required course's lessons or by
    a question of the paper the holder sat. Written with the certificate, never changed."""

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.CASCADE, related_name="basis_entries"
    )
    regulation = models.ForeignKey(
        "content.Regulation",
        verbose_name=_("regulation version"),
        on_delete=models.PROTECT,
        related_name="certificate_bases",
    )
    text_digest = models.CharField(
        _("text digest"),
        max_length=64,
        help_text=_("SHA-256 of the article's text at issuance: a later correction shows."),
    )

    class Meta:
        verbose_name = _("legal basis entry")
        verbose_name_plural = _("legal basis")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "regulation"], name="certificatebasis_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.regulation)


class UpdateModule(models.Model):
    """A short course on what changed, attached by a trainer to a programme for one change.

    Holders of the programme's valid certificates whose basis includes the changed version must
    complete ``course`` by the deadline; completing it reissues their certificate on the new
    basis (same expiry). After the deadline, certificates still on the old basis are suspended.
    """

    programme = models.ForeignKey(
        "certificates.CertificationProgramme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="update_modules",
    )
    change = models.ForeignKey(
        "content.RegulationChange",
        verbose_name=_("change"),
        on_delete=models.PROTECT,
        related_name="update_modules",
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("update course"),
        on_delete=models.PROTECT,
        related_name="update_modules",
    )
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty for the default: 90 days after the course is published or the new "
            "version takes effect, whichever is later."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("update module")
        verbose_name_plural = _("update modules")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "change"], name="updatemodule_one_per_programme_change"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.change}"

    @property
    def published_on(self) -> date | None:
        """The day the course went live, or None while it is a draft."""
        first = self.course.first_published_at
        return timezone.localdate(first) if first and self.course.live else None

    @property
    def effective_deadline(self) -> date | None:
        """The deadline in force: the one set, else the default; None until the course is live
        (no holder can be asked to complete a course that is not published)."""
        if self.deadline:
            return self.deadline
        published = self.published_on
        if published is None:
            return None
        return max(published, self.change.takes_effect) + timedelta(days=DEFAULT_UPDATE_DAYS)


class UpdateNotice(models.Model):
    """A holder of an affected certificate was told about an update module (sent once)."""

    module = models.ForeignKey(UpdateModule, on_delete=models.CASCADE, related_name="notices")
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.CASCADE, related_name="update_notices"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("update notice")
        verbose_name_plural = _("update notices")
        constraints = [
            models.UniqueConstraint(fields=["module", "certificate"], name="updatenotice_once")
        ]

    def __str__(self) -> str:
        return f"{self.module} → {self.certificate}"


class CertificateSuspension(models.Model):
    """One period during which a certificate was suspended, and how it ended.

    A suspended certificate is not valid (for the rating, the API and verifiers) but is not
    revoked: it comes back when the reason goes away. The certificate's status says whether it
    is suspended now; these rows say why, since when, by whom, and what ended each period.
    """

    class Category(models.TextChoices):
        LAW_CHANGE = "law-change", _("Legal update not completed")
        FINDING = "finding", _("Pending audit finding")

    class Outcome(models.TextChoices):
        REINSTATED = "reinstated", _("Reinstated")
        REFRESHED = "refreshed", _("Reissued on the new legal basis")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")
        # A finding suspension ended while a missed legal update still applied: the certificate
        # stayed suspended, now for the update (suspension.switch_to_law_change).
        REPLACED = "replaced", _("Replaced by a suspension for a missed legal update")

    certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("certificate"),
        on_delete=models.CASCADE,
        related_name="suspensions",
    )
    category = models.CharField(_("reason category"), max_length=12, choices=Category.choices)
    reason = models.TextField(_("reason"))
    update_module = models.ForeignKey(
        UpdateModule,
        verbose_name=_("update module"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suspensions",
    )
    started_at = models.DateTimeField(_("suspended at"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suspended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the platform suspended it (a missed deadline)."),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("certificate suspension")
        verbose_name_plural = _("certificate suspensions")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(ended_at__isnull=True),
                name="certificatesuspension_one_open",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(outcome=""),
                name="certificatesuspension_ended_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate} · {self.get_category_display()}"


class RegulationUpdateTask(models.Model):
    """A trainer's task: update one lesson or question that cites the old version of a change.

    Opened when the change is loaded (or by ``regulation_impact``). Done — lessons through the
    page review workflow, questions when saved — when the target no longer cites the old
    version or cites the new one beside it (a comparison); for a correction, when it is
    published or saved again after the corrected text was loaded (``impact.close_tasks``).
    """

    change = models.ForeignKey(
        "content.RegulationChange",
        verbose_name=_("change"),
        on_delete=models.CASCADE,
        related_name="update_tasks",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    label = models.CharField(_("title"), max_length=255)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("regulation update task")
        verbose_name_plural = _("regulation update tasks")
        ordering = ["done_at", "opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "content_type", "object_id"], name="regulationupdatetask_once"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="updatetask_target")]

    def __str__(self) -> str:
        return self.label
