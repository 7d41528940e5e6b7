"""The CPD ledger follows attendance (``content.signals.attendance_changed``) and course
completions (``courses.signals.course_completed``), inside the transactions that record them."""

from __future__ import annotations

from django.dispatch import receiver

from content.signals import attendance_changed

from . import cpd
from .models import Enrolment
from .signals import course_completed


@receiver(attendance_changed, dispatch_uid="courses.cpd_credit_attendance")
def credit_attendance(sender, *, registration, change=None, **kwargs) -> None:
    cpd.credit_attendance(registration, change)


@receiver(course_completed, dispatch_uid="courses.cpd_credit_course")
def credit_course(sender, *, user, course, **kwargs) -> None:
    enrolment = Enrolment.objects.filter(user=user, course=course).select_related("course").first()
    if enrolment is not None:
        cpd.credit_course(enrolment)
