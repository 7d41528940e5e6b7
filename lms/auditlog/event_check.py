"""One event's own link check, for its admin page: does it still say what it said?

The full verification (``verify_audit_log``, the hourly task) walks the whole chain; this checks
one link, with the same functions (:mod:`lms.auditlog.verifier`), so an auditor looking at an
event sees at once whether that row was edited: its hash recomputes from its content, its
``prev_hash`` is the previous event's hash, the next event chains to it, and its personal part
matches the digest the chain holds. Four small queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import verifier
from .chain import event_record
from .models import AuditEvent, Checkpoint


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class LinkCheck:
    checks: list[Check]
    computed_hash: str
    covering_checkpoint: Checkpoint | None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def check_event(event: AuditEvent) -> LinkCheck:
    record = event_record(event)
    try:
        computed = verifier.link_hash(verifier.body_hash(verifier.body_of(record)), event.prev_hash)
    except (verifier.NotCanonicalisable, KeyError, TypeError):
        computed = ""
    checks = [Check(str(_("The hash recomputes from the event's content")), computed == event.hash)]

    if event.seq == 1:
        prev_ok = event.prev_hash == verifier.GENESIS_HASH
    else:
        prev = AuditEvent.objects.filter(seq=event.seq - 1).values_list("hash", flat=True).first()
        prev_ok = prev is not None and prev == event.prev_hash
    checks.append(Check(str(_("The previous hash is the previous event's hash")), prev_ok))

    following = (
        AuditEvent.objects.filter(seq=event.seq + 1).values_list("prev_hash", flat=True).first()
    )
    if following is not None:
        checks.append(Check(str(_("The next event chains to this one")), following == event.hash))

    if event.personal is not None:
        try:
            digest_ok = verifier.personal_digest(event.personal) == event.personal_digest
        except verifier.NotCanonicalisable:
            digest_ok = False
        checks.append(Check(str(_("The personal data matches its digest")), digest_ok))

    covering = Checkpoint.objects.filter(seq__gte=event.seq).order_by("seq", "id").first()
    return LinkCheck(checks=checks, computed_hash=computed, covering_checkpoint=covering)
