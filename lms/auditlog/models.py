"""The audit log's tables: events (append-only, hash-chained), their index rows, checkpoints.

No foreign keys leave these tables: an event must outlive whatever it is about (a deleted user,
a purged certificate), and a cascading delete or ``SET NULL`` would be an edit of the record.
Actors, subjects, firms and people are stored as ids with a label, and the index tables
(:class:`EventFirm`, :class:`EventPerson`) make "everything about this firm / this collector"
an indexed query. Database triggers (migration 0002) refuse UPDATE, DELETE and TRUNCATE on all
four tables; :mod:`lms.auditlog.verifier` detects what someone with the power to drop them did.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    USER = "user", _("person")
    TOKEN = "token", _("API token")
    SYSTEM = "system", _("system")


class AuditEvent(models.Model):
    """One decision or access, as it happened: who, what, about whom, and the facts.

    ``seq`` is contiguous from 1 and assigned under a lock (:mod:`lms.auditlog.chain`), so the
    chain has no forks and a missing number is a deleted event. ``hash`` chains the event to
    ``prev_hash`` (see :mod:`lms.auditlog.verifier` for the exact construction). ``personal``
    holds the personal data (names, emails) the event mentions, with a salt; the chain covers
    only its digest, so exports can mask it and still verify.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    event_type = models.CharField(_("event"), max_length=60, db_index=True)
    actor_kind = models.CharField(_("actor kind"), max_length=10, choices=ActorKind.choices)
    actor_id = models.CharField(_("actor id"), max_length=200, blank=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    firms = models.JSONField(_("firms concerned"), default=list)
    persons = models.JSONField(_("people concerned"), default=list)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    payload = models.JSONField(_("facts"), default=dict)
    personal = models.JSONField(_("personal data"), null=True, blank=True)
    personal_digest = models.CharField(_("personal data digest"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "seq"]),
            # A person's trail includes what they did themselves.
            models.Index(fields=["actor_kind", "actor_id", "seq"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.subject_label}".strip()


class EventFirm(models.Model):
    """Index row: event ``event_id`` concerns firm ``firm_id`` (a firm's trail, its export)."""

    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # looked up by firm or person only: (…_id, event) serves
    )
    firm_id = models.BigIntegerField(_("firm id"))

    class Meta:
        indexes = [models.Index(fields=["firm_id", "event"])]

    def __str__(self) -> str:
        return f"#{self.event_id} firm {self.firm_id}"


class EventPerson(models.Model):
    """Index row: event ``event_id`` concerns person ``person_id`` (a collector's trail).

    The index rows' ``event`` carries no foreign-key constraint in the database: only
    :func:`lms.auditlog.chain.record` writes them, in the transaction that appends the event,
    and no event is ever deleted (the database refuses), so the check could never fail; a
    rating recompute writes a million of these rows, and checking each costs as much as the
    row itself. Nor is ``event`` indexed alone: the trails look rows up by firm or person.
    """

    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # looked up by firm or person only: (…_id, event) serves
    )
    person_id = models.BigIntegerField(_("person id"))

    class Meta:
        indexes = [models.Index(fields=["person_id", "event"])]

    def __str__(self) -> str:
        return f"#{self.event_id} person {self.person_id}"


class Checkpoint(models.Model):
    """A signed statement "event ``seq`` has hash ``hash``", published for anyone to keep.

    ``document`` is exactly what was signed (its RFC 8785 form); ``signature`` is the Ed25519
    signature in hex. Once others hold copies, the history up to ``seq`` cannot be rewritten
    without the copies disagreeing.
    """

    seq = models.BigIntegerField(_("sequence number"), db_index=True)
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("signed at"), db_index=True)
    public_key = models.CharField(_("public key"), max_length=100)
    document = models.JSONField(_("signed document"))
    signature = models.CharField(_("signature"), max_length=128)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"

    def as_published(self) -> dict:
        """The form the public list and export bundles carry (what the verifier reads)."""
        return {"document": self.document, "signature": self.signature}


class VerificationRun(models.Model):
    """The outcome of one full verification (``verify_audit_log`` or the hourly task).

    Not part of the chain (it is about the chain): the admin shows the latest, so staff see at a
    glance whether the record still verifies, and a failure is kept with the first bad event.
    """

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    ok = models.BooleanField(_("valid"))
    events = models.BigIntegerField(_("events verified"), default=0)
    checkpoints = models.IntegerField(_("checkpoints verified"), default=0)
    first_bad_seq = models.BigIntegerField(_("first bad event"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit log verification")
        verbose_name_plural = _("audit log verifications")
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else self.first_bad_seq}"
