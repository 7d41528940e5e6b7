"""Certification programmes: what a collector must complete to be certified, and for how long."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index


class CertificationProgramme(index.Indexed, ClusterableModel):
    """A certification (e.g. 合规催收从业资格): required courses plus a final exam earn a
    certificate valid for ``validity_months``; in the renewal window before it expires, the
    refresher course plus the renewal exam earn its successor.

    Trainers manage programmes in the admin. Editing one never changes certificates already
    issued: a certificate keeps its own snapshot of the name, score and dates.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("A short stable identifier, e.g. “compliant-collection”."),
    )
    description = models.TextField(_("description"), blank=True)
    required_courses = ParentalManyToManyField(
        "courses.CoursePage",
        verbose_name=_("required courses"),
        related_name="programmes",
        blank=True,
    )
    final_exam = models.ForeignKey(
        "exams.ExamPage",
        verbose_name=_("final exam"),
        on_delete=models.PROTECT,
        related_name="final_for_programmes",
    )
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewal window (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How many days before expiry a holder may renew."),
    )
    refresher_course = models.ForeignKey(
        "courses.CoursePage",
        verbose_name=_("refresher course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refresher_for_programmes",
        help_text=_("Completed before the renewal exam counts. Leave empty if none is needed."),
    )
    renewal_exam = models.ForeignKey(
        "exams.ExamPage",
        verbose_name=_("renewal exam"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_for_programmes",
        help_text=_("Leave empty to renew by passing the final exam again."),
    )
    cpd_hours_required = models.DecimalField(
        _("CPD hours for renewal"),
        max_digits=5,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Hours of training (courses and events) needed in the cycle; 0 for none."),
    )
    cpd_offline_hours_required = models.DecimalField(
        _("of which offline"),
        max_digits=5,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Of those hours, how many at in-person salons or summits."),
    )
    cpd_cycle_months = models.PositiveSmallIntegerField(
        _("CPD cycle (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("The hours count when earned in these months before renewal."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive programmes issue no new certificates; existing ones stay valid."),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("code"),
        FieldPanel("description"),
        FieldPanel("required_courses"),
        FieldPanel("final_exam"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("validity_months"), FieldPanel("renewal_window_days")]),
                FieldPanel("refresher_course"),
                FieldPanel("renewal_exam"),
            ],
            heading=_("Validity and renewal"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("cpd_hours_required"),
                        FieldPanel("cpd_offline_hours_required"),
                        FieldPanel("cpd_cycle_months"),
                    ]
                ),
            ],
            heading=_("CPD hours for renewal"),
        ),
        FieldPanel("is_active"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("certification programme")
        verbose_name_plural = _("certification programmes")
        ordering = ["name"]
        # The table keeps the name it had when programmes lived in ``courses`` (see
        # migrations/0001_initial.py): moving the model did not touch the data.
        db_table = "courses_certificationprogramme"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.renewal_exam_id and self.renewal_exam_id == self.final_exam_id:
            raise ValidationError(
                {"renewal_exam": _("Leave the renewal exam empty to reuse the final exam.")}
            )
        if (self.cpd_offline_hours_required or 0) > (self.cpd_hours_required or 0):
            raise ValidationError(
                {
                    "cpd_offline_hours_required": _(
                        "The offline hours are part of the total: they cannot exceed it."
                    )
                }
            )
        if self.renewal_window_days and self.validity_months:
            if self.renewal_window_days > self.validity_months * 28:
                raise ValidationError(
                    {"renewal_window_days": _("The renewal window is longer than the validity.")}
                )

    @property
    def renewal_exam_or_final(self):
        """The exam that renews a certificate: the renewal exam, or else the final exam."""
        return self.renewal_exam or self.final_exam

    def expiry_after(self, start):
        """When a certificate starting at ``start`` expires (calendar months, as people expect)."""
        return start + relativedelta(months=self.validity_months)
