"""Partner firms — lenders (委托方) and collection agencies (处置方) — and who works for them.

A firm's admission status is a human decision with a reason, so every change is kept in
:class:`FirmStatusChange`. Memberships are dated rather than deleted: a collector who moves to
another firm keeps their history, and a rating can always say which firm they were with.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as NumberError

from lms.auditlog import chain

from ..signals import firm_status_changed


class KEEP:
    """Sentinel: leave a field as it is."""


def validate_credit_code(value: str) -> None:
    """A unified social credit code (统一社会信用代码, GB 32100-2015), check character included."""
    try:
        uscc.validate(value)
    except NumberError as error:
        raise ValidationError(
            _("%(code)s is not a valid unified social credit code (%(reason)s)."),
            code="invalid_credit_code",
            params={"code": value, "reason": str(error)},
        ) from error


class FirmKind(models.TextChoices):
    LENDER = "lender", _("Lender")
    AGENCY = "agency", _("Collection agency")


class FirmStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    ADMITTED = "admitted", _("Admitted")
    SUSPENDED = "suspended", _("Suspended")
    BANNED = "banned", _("Banned")


class BanCategory(models.TextChoices):
    """Why a firm was banned: the categories the ban list shows (details stay in the reasons)."""

    VIOLENT_COLLECTION = "violent_collection", _("Violent or threatening collection")
    HUMILIATION = "humiliation", _("Insult, humiliation or harassment")
    FRAUD = "fraud", _("Fraud or forged documents")
    DATA_ABUSE = "data_abuse", _("Unlawful use of personal information")
    OTHER = "other", _("Other serious breach")


class TwoPersonRuleError(ValidationError):
    """A decision that needs a second person was attempted by one."""


class Firm(models.Model):
    """A lender or collection agency working with the collection platform.

    ``status`` only ever changes through :meth:`change_status`, which records who decided and
    why; ratings may flag a firm for review but never change its status themselves. A ban needs
    two people (the one who decides and another who confirms), enforced there too.
    ``admission_expires_on`` is when the current admission decision lapses (set by the
    admission review, ``lms.admission``): past it the firm is flagged, never changed.
    """

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, as on the business licence (GB 32100-2015)."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FirmKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=FirmStatus.choices, default=FirmStatus.PENDING
    )
    admission_expires_on = models.DateField(
        _("admission valid until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set by the admission review; past this date the firm is flagged."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("firm")
        verbose_name_plural = _("firms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.credit_code:
            self.credit_code = uscc.compact(self.credit_code)

    def change_status(
        self,
        status: str,
        *,
        by,
        reason: str,
        confirmed_by=None,
        category: str = "",
        admission_expires_on: date | None | type[KEEP] = KEEP,
    ) -> FirmStatusChange:
        """Record a decision about the firm's admission; the reason is required.

        The one function that changes a firm's status. ``BANNED`` needs ``confirmed_by``, a
        second person other than ``by`` (two-person rule), and a ``category``
        (:class:`BanCategory`). ``admission_expires_on`` replaces the admission's expiry when
        given (``None`` clears it). Receivers of ``lms.accounts.signals.firm_status_changed``
        hear about the change once the transaction commits. The audit log gets a
        ``firm.status_changed`` event in the same transaction (the reason, free text that may
        name people, goes to its personal part).
        """
        if not reason.strip():
            raise ValidationError(_("Give a reason for the decision."))
        if status == FirmStatus.BANNED:
            if confirmed_by is None or by is None or confirmed_by.pk == by.pk:
                raise TwoPersonRuleError(
                    _("A ban takes effect only when a second person confirms it."),
                    code="two_person_rule",
                )
            if category not in BanCategory.values:
                raise ValidationError(_("Choose why the firm is banned."), code="ban_category")
        elif category:
            raise ValidationError(_("Only a ban has a category."), code="ban_category")
        with transaction.atomic():
            locked = Firm.objects.select_for_update().get(pk=self.pk)
            change = FirmStatusChange.objects.create(
                firm=locked,
                from_status=locked.status,
                to_status=status,
                reason=reason.strip(),
                category=category,
                decided_by=by,
                confirmed_by=confirmed_by,
            )
            fields: dict[str, object] = {"status": status}
            if admission_expires_on is not KEEP:
                fields["admission_expires_on"] = admission_expires_on
            Firm.objects.filter(pk=self.pk).update(**fields)
            for name, value in fields.items():  # receivers get the firm as it now is
                setattr(locked, name, value)
            payload: dict[str, object] = {
                "change": change.pk,
                "from": change.from_status,
                "to": status,
                "decided_by": by.pk if by is not None else None,
                "confirmed_by": confirmed_by.pk if confirmed_by is not None else None,
                "category": category,
            }
            if admission_expires_on is not KEEP:
                payload["admission_expires_on"] = admission_expires_on
            chain.record(
                "firm.status_changed",
                subject=locked,
                subject_label=locked.name,
                actor=by,
                firms=[locked],
                payload=payload,
                personal={"reason": change.reason},
            )
            transaction.on_commit(
                lambda: firm_status_changed.send(sender=Firm, firm=locked, change=change)
            )
        self.status = status
        if admission_expires_on is not KEEP:
            self.admission_expires_on = admission_expires_on  # type: ignore[assignment]
        return change

    @property
    def admission_expired(self) -> bool:
        """Admitted, but the admission decision has lapsed: flagged for a re-assessment."""
        return (
            self.status == FirmStatus.ADMITTED
            and self.admission_expires_on is not None
            and self.admission_expires_on < timezone.localdate()
        )

    def active_members(self, on: date | None = None):
        return Membership.objects.active(on).filter(firm=self)


class FirmStatusChange(models.Model):
    """One admission decision about a firm: from which status to which, why, by whom (and who
    confirmed it, for a ban), and for a ban its category."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=10, choices=FirmStatus.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=FirmStatus.choices)
    reason = models.TextField(_("reason"))
    category = models.CharField(
        _("ban category"), max_length=30, choices=BanCategory.choices, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The second person, for decisions that need two."),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("firm status change")
        verbose_name_plural = _("firm status changes")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.firm}: {self.from_status} → {self.to_status}"


class ContractQuerySet(models.QuerySet):
    def current(self, on: date | None = None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))


class Contract(models.Model):
    """A lender hires a collection agency for a period: the lender's managers may then follow
    the agency's staff's certification."""

    lender = models.ForeignKey(
        Firm,
        verbose_name=_("lender"),
        on_delete=models.CASCADE,
        related_name="agency_contracts",
        limit_choices_to={"kind": FirmKind.LENDER},
    )
    agency = models.ForeignKey(
        Firm,
        verbose_name=_("collection agency"),
        on_delete=models.CASCADE,
        related_name="lender_contracts",
        limit_choices_to={"kind": FirmKind.AGENCY},
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(lender=models.F("agency")), name="contract_two_firms"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lender} → {self.agency}"

    def clean(self) -> None:
        super().clean()
        if self.lender_id and self.lender.kind != FirmKind.LENDER:
            raise ValidationError({"lender": _("Choose a lender.")})
        if self.agency_id and self.agency.kind != FirmKind.AGENCY:
            raise ValidationError({"agency": _("Choose a collection agency.")})
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A contract cannot end before it starts.")})


class MembershipRole(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    MANAGER = "manager", _("Manager")


class MembershipQuerySet(models.QuerySet):
    def active(self, on: date | None = None):
        on = on or timezone.localdate()
        return self.filter(active_from__lte=on).filter(
            Q(active_to__isnull=True) | Q(active_to__gte=on)
        )


class Membership(models.Model):
    """A person works for a firm as a collector or a manager, from one date to another.

    Ending a membership sets ``active_to``; nothing is deleted, so a collector who moves firms
    keeps their history. A person has at most one open membership at a time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    firm = models.ForeignKey(
        Firm, verbose_name=_("firm"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices)
    employee_number = models.CharField(_("employee number"), max_length=40, blank=True)
    active_from = models.DateField(_("active from"), default=timezone.localdate)
    active_to = models.DateField(_("active to"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-active_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(active_to__isnull=True),
                name="membership_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["firm", "employee_number"],
                condition=Q(active_to__isnull=True) & ~Q(employee_number=""),
                name="membership_unique_employee_number",
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["firm", "role", "active_to"], name="membership_roster_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.firm} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.active_from <= today and (self.active_to is None or self.active_to >= today)

    def end(self, on: date | None = None) -> None:
        """End the membership (the person left the firm); the row stays as history."""
        self.active_to = on or timezone.localdate()
        self.save(update_fields=["active_to"])


class Invitation(models.Model):
    """A manager invited someone by email to join their firm.

    The invitee gets an account (if they have none) with no usable password and sets one
    through allauth's password-reset flow from the link in the email; the membership starts
    when they accept, not when they are invited.
    """

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    legal_name = models.CharField(_("legal name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    employee_number = models.CharField(_("employee number"), max_length=40, blank=True)
    role = models.CharField(
        _("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.COLLECTOR
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "email"],
                condition=Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="invitation_one_open_per_firm_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.firm}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.cancelled_at is None
            and self.expires_at > timezone.now()
        )
