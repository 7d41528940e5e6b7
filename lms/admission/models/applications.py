"""Applications for admission, their answers and documents, and the decisions taken on them.

An application is either a firm's first application (``ReviewKind.INITIAL``, possibly from
someone without an account: they return by a secret link) or a re-assessment of a firm already
admitted (``REASSESSMENT``, opened before the admission expires and pre-filled from the last
one). A decision is one row per application; a ban or an admission despite a blocker answer is
only *proposed* until a second reviewer confirms it (two-person rule).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import BanCategory, Firm, FirmKind, FirmStatusChange
from lms.accounts.models.firms import validate_credit_code
from lms.storage import private_storage

from .questionnaire import PERCENT, AnswerOption, Question, Questionnaire


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Decision awaiting a second reviewer")
    ADMITTED = "admitted", _("Admitted")
    CONDITIONAL = "conditional", _("Admitted with conditions")
    REJECTED = "rejected", _("Rejected")
    BANNED = "banned", _("Banned")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Submitted and not yet decided: the credit code is "pending" (no second application).
PENDING_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.AWAITING_CONFIRMATION,
)
# Not decided yet, drafts included: what a re-assessment may not be opened twice for.
OPEN_STATUSES = (ApplicationStatus.DRAFT, *PENDING_STATUSES)


class ReviewKind(models.TextChoices):
    INITIAL = "initial", _("First application")
    REASSESSMENT = "reassessment", _("Re-assessment")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone calls")
    SMS = "sms", _("SMS")
    FIELD_VISIT = "field_visit", _("Field visits")


class RecordingCapability(models.TextChoices):
    NONE = "none", _("None")
    PARTIAL = "partial", _("Some calls or visits")
    FULL = "full", _("Every call or visit, kept and searchable")


class Application(models.Model):
    """A firm's application for admission (or its re-assessment), with the company basics the
    platform reviews. Scores and the decision live in :class:`Answer` and :class:`Decision`."""

    review_kind = models.CharField(
        _("review"), max_length=15, choices=ReviewKind.choices, default=ReviewKind.INITIAL
    )
    status = models.CharField(
        _("status"),
        max_length=25,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    firm = models.ForeignKey(
        Firm,
        verbose_name=_("firm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admission_applications",
        help_text=_("Set for a re-assessment, and for a first application once decided."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Company basics.
    firm_name = models.CharField(_("firm name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, validators=[validate_credit_code]
    )
    firm_kind = models.CharField(_("kind"), max_length=10, choices=FirmKind.choices)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    registered_address = models.CharField(_("registered address"), max_length=300, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (10,000 yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    # The contact person becomes the firm's first manager when it is admitted.
    contact_name = models.CharField(_("contact person"), max_length=150)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # Agencies: how they collect, and what they can record.
    channels = models.JSONField(_("collection channels"), default=list, blank=True)
    staff_count = models.PositiveIntegerField(
        _("collection staff"), null=True, blank=True, validators=[MaxValueValidator(1_000_000)]
    )
    call_recording = models.CharField(
        _("call recording"), max_length=10, choices=RecordingCapability.choices, blank=True
    )
    field_recording = models.CharField(
        _("field-visit recording"), max_length=10, choices=RecordingCapability.choices, blank=True
    )
    recording_details = models.TextField(
        _("recording software and hardware"), blank=True, max_length=4000
    )
    # The secret link an applicant returns by: only its SHA-256 is stored.
    access_token_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Platform staff who entered the application in the admin, if any."),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Training readiness, measured when a re-assessment opens (lms.admission.readiness).
    readiness = models.JSONField(_("training readiness"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")
        ordering = ["-created_at"]
        permissions = [("review_application", "Can score and decide admission applications")]
        constraints = [
            # One pending application per credit code (the submit check's race guard).
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(status__in=[s.value for s in PENDING_STATUSES]),
                name="application_one_pending_per_code",
            ),
            # One open re-assessment per firm (open_reassessments is idempotent).
            models.UniqueConstraint(
                fields=["firm"],
                condition=Q(
                    review_kind="reassessment", status__in=[s.value for s in OPEN_STATUSES]
                ),
                name="application_one_open_reassessment_per_firm",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="application_status_idx")]

    def __str__(self) -> str:
        return f"{self.firm_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_editable_by_applicant(self) -> bool:
        return self.status == ApplicationStatus.DRAFT


class CooperationReference(models.Model):
    """A lender an agency worked for (cooperation history), for the reviewer to check."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="references"
    )
    lender_name = models.CharField(_("lender"), max_length=200)
    lender_credit_code = models.CharField(
        _("lender's credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    from_year = models.PositiveSmallIntegerField(
        _("from (year)"), validators=[MinValueValidator(1980), MaxValueValidator(2100)]
    )
    to_year = models.PositiveSmallIntegerField(
        _("to (year)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1980), MaxValueValidator(2100)],
    )
    contact = models.CharField(_("contact at the lender"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("cooperation reference")
        verbose_name_plural = _("cooperation references")
        ordering = ["-from_year", "pk"]

    def __str__(self) -> str:
        return self.lender_name


class LicenceKind(models.TextChoices):
    BUSINESS = "business", _("Business licence (营业执照)")
    FINANCIAL = "financial", _("Financial licence or approval")
    OTHER = "other", _("Other licence or certificate")


class LicenceDocument(models.Model):
    """An uploaded licence, kept in private storage and served only after a permission check,
    with the type detected from its content on upload (``lms.uploads``)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="licences")
    kind = models.CharField(_("kind"), max_length=10, choices=LicenceKind.choices)
    file = models.FileField(
        _("file"), upload_to="admission/licences/%Y/%m/", max_length=200, storage=private_storage
    )
    content_type = models.CharField(max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Answer(models.Model):
    """The applicant's answer to one question, its evidence, and the reviewer's score where the
    question needs judgement (or the measured value, for a metric)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(
        AnswerOption,
        verbose_name=_("answer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
    evidence = models.FileField(
        _("evidence"),
        upload_to="admission/evidence/%Y/%m/",
        max_length=200,
        blank=True,
        storage=private_storage,
    )
    evidence_content_type = models.CharField(max_length=100, blank=True, editable=False)
    evidence_name = models.CharField(max_length=200, blank=True, editable=False)
    metric_value = models.DecimalField(
        _("measured value"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    reviewer_score = models.DecimalField(
        _("reviewer's score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    reviewer_note = models.TextField(_("reviewer's note"), blank=True, max_length=4000)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "question"], name="answer_one_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.question_id}"


class Conclusion(models.TextChoices):
    ADMITTED = "admitted", _("Admitted")
    CONDITIONAL = "conditional", _("Admitted with conditions")
    REJECTED = "rejected", _("Rejected")
    BANNED = "banned", _("Banned")


class DecisionState(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting a second reviewer")
    EFFECTIVE = "effective", _("In effect")
    DECLINED = "declined", _("Declined by the second reviewer")


class Decision(models.Model):
    """The conclusion on an application, with reasons, the score it was taken on, and (for an
    admission) when it expires. A ban, or an admission despite a blocker answer, stays
    ``PROPOSED`` until another reviewer confirms it; only then does the firm's status change
    (through ``Firm.change_status``, whose history row is linked here)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    conclusion = models.CharField(_("conclusion"), max_length=15, choices=Conclusion.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=DecisionState.choices, default=DecisionState.PROPOSED
    )
    reasons = models.TextField(_("reasons"), max_length=8000)
    ban_category = models.CharField(
        _("ban category"), max_length=30, choices=BanCategory.choices, blank=True
    )
    overrides_blocker = models.BooleanField(_("overrides a blocker answer"), default=False)
    # Internal: why a reviewer admits despite a blocker answer. Shown to reviewers only, never
    # sent to the applicant (nor are the reasons).
    override_reason = models.TextField(
        _("why the blocker is overridden"), blank=True, max_length=4000
    )
    score = models.DecimalField(
        _("total score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    section_scores = models.JSONField(_("section scores"), default=list, blank=True)
    valid_until = models.DateField(_("admission valid until"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("decided at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    declined_reason = models.TextField(_("why it was declined"), blank=True, max_length=4000)
    status_change = models.OneToOneField(
        FirmStatusChange, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("admission decision")
        verbose_name_plural = _("admission decisions")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=["proposed", "effective"]),
                name="decision_one_live_per_application",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("proposed_by")),
                name="decision_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_conclusion_display()}"

    @property
    def needs_second_person(self) -> bool:
        return self.conclusion == Conclusion.BANNED or self.overrides_blocker


class Condition(models.Model):
    """A condition of an admission, with its due date; a reviewer records when it was met."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="conditions")
    text = models.CharField(_("condition"), max_length=500)
    due_on = models.DateField(_("due on"))
    met_on = models.DateField(_("met on"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, max_length=4000)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_overdue(self) -> bool:
        return self.met_on is None and self.due_on < timezone.localdate()
