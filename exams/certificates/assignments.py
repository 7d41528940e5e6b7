"""Programme assignments: a manager asks collectors to get certified by a date.

One open assignment per collector and programme (the database says so too); an open one past
its due date is overdue and lowers the rating. An assignment is completed by the certificate,
not by the manager: :func:`complete_for_certificate` runs when a certificate of the programme
is issued to the collector (``receivers``), and someone who already holds a valid certificate of
the programme when it is assigned has nothing left to do, so their assignment is completed at
once (it would otherwise wait as "open" until it turned overdue and lowered their rating).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage
from lms.accounts.models import Firm, Membership, MembershipRole, User

from .models import Certificate, CertificateStatus, CertificationProgramme, ProgrammeAssignment


@dataclass
class AssignResult:
    created: list[ProgrammeAssignment]  # including those completed at once
    already_open: list[User]
    already_certified: list[User] = field(default_factory=list)  # completed on assignment


def firm_collectors(firm: Firm, on: date | None = None):
    """The firm's active collectors: the only people its managers may assign programmes to."""
    members = Membership.objects.active(on).filter(firm=firm, role=MembershipRole.COLLECTOR)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("legal_name", "email")


def assign(
    firm: Firm,
    programme: CertificationProgramme,
    collectors: list[User],
    *,
    due_on: date,
    by: User | None,
) -> AssignResult:
    """Assign ``programme`` to each collector due ``due_on``; someone who already has it open
    is left as they are (reported in ``already_open``), and someone who already holds a valid
    certificate of the programme gets an assignment completed at once (``already_certified``)."""
    now = timezone.now()
    today = timezone.localdate()
    if due_on < today:
        raise ValidationError(_("The due date cannot be in the past."), code="past_due")
    if not programme.is_active:
        raise ValidationError(_("This programme is no longer active."), code="inactive")
    allowed = set(firm_collectors(firm).values_list("pk", flat=True))
    outsiders = [user for user in collectors if user.pk not in allowed]
    if outsiders:
        raise ValidationError(
            _("%(names)s is not an active collector of your firm.")
            % {"names": ", ".join(str(user) for user in outsiders)},
            code="not_in_firm",
        )
    with transaction.atomic():
        open_for = set(
            ProgrammeAssignment.objects.open()
            .select_for_update()
            .filter(programme=programme, user__in=collectors)
            .values_list("user_id", flat=True)
        )
        certified = certified_ids(programme, [user.pk for user in collectors], now)
        created = ProgrammeAssignment.objects.bulk_create(
            [
                ProgrammeAssignment(
                    user=user,
                    programme=programme,
                    firm=firm,
                    assigned_by=by,
                    assigned_at=now,
                    due_on=due_on,
                    completed_at=now if user.pk in certified else None,
                )
                for user in collectors
                if user.pk not in open_for
            ]
        )
    return AssignResult(
        created=created,
        already_open=[user for user in collectors if user.pk in open_for],
        already_certified=[
            user for user in collectors if user.pk in certified and user.pk not in open_for
        ],
    )


def certified_ids(programme: CertificationProgramme, user_ids: list[int], now) -> set[int]:
    """Which of ``user_ids`` hold a valid, unexpired certificate of ``programme`` (one query)."""
    return set(
        Certificate.objects.filter(
            programme=programme,
            holder_id__in=user_ids,
            status=CertificateStatus.VALID,
            expires_at__gt=now,
        ).values_list("holder_id", flat=True)
    )


def cancel(assignment: ProgrammeAssignment) -> ProgrammeAssignment:
    if assignment.completed_at or assignment.cancelled_at:
        raise ValidationError(_("Only an open assignment can be cancelled."), code="closed")
    assignment.cancelled_at = timezone.now()
    assignment.save(update_fields=["cancelled_at"])
    return assignment


def complete_for_certificate(certificate) -> int:
    """Close the holder's open assignments of the certificate's programme that were made before
    it was issued. Idempotent; returns how many were completed."""
    return (
        ProgrammeAssignment.objects.open()
        .filter(
            user_id=certificate.holder_id,
            programme_id=certificate.programme_id,
            assigned_at__lte=certificate.issued_at,
        )
        .update(completed_at=certificate.issued_at)
    )


def programme_for(user: User) -> CertificationProgramme | None:
    """The programme a new member should start: the open assignment due first, else the
    first active programme (every active programme is required of every collector)."""
    assignment = (
        ProgrammeAssignment.objects.open()
        .filter(user=user, programme__is_active=True)
        .select_related("programme")
        .order_by("due_on", "pk")
        .first()
    )
    if assignment is not None:
        return assignment.programme
    return CertificationProgramme.objects.filter(is_active=True).order_by("pk").first()


def first_course(programme: CertificationProgramme) -> CoursePage | None:
    """The programme's first live required course, in catalogue (tree) order."""
    return programme.required_courses.live().order_by("path").first()


def start_url(user: User) -> str | None:
    """Where a collector who just joined a firm starts (the ``collector_start_url`` hook of
    ``lms.accounts.onboarding.joining``): the first live course of their programme, or None."""
    programme = programme_for(user)
    course = first_course(programme) if programme else None
    return course.url if course else None
