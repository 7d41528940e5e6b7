"""The CPD ledger follows attendance (``content.signals.attendance_changed``), course
completions (``courses.signals.course_completed``), inside the transactions that record them,
and corrections of a session's hours (Wagtail's ``page_published`` of an event page)."""

from __future__ import annotations

from django.dispatch import receiver
from wagtail.signals import page_published

from content.models import EventPage
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


@receiver(page_published, dispatch_uid="courses.cpd_recredit_event_page")
def recredit_event_page(sender, *, instance, **kwargs) -> None:
    # A published event page may carry corrected session hours (cpd_hours, start, end): the
    # attendances at its sessions are credited what they are worth now.
    if isinstance(instance, EventPage):
        cpd.recredit_page(instance)
