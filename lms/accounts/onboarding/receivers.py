"""Signal receivers for onboarding: a new certificate completes the programme's assignments."""

from __future__ import annotations

from django.dispatch import receiver

from exams.certificates.signals import certificate_issued

from . import assignments


@receiver(certificate_issued, dispatch_uid="accounts.complete_assignments_on_certificate")
def complete_assignments(sender, *, certificate, **kwargs) -> None:
    """Sent after the issuing transaction commits; the update is idempotent, so a repeated
    signal changes nothing."""
    assignments.complete_for_certificate(certificate)
