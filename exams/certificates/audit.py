"""Certificate decisions in the audit log (``lms.auditlog``): issued, superseded, suspended,
reinstated, revoked, expired.

Each service that changes a certificate's status calls :func:`record_certificate` last, inside
its own transaction, so the event exists exactly when the change does. One helper, so every
event about a certificate names it the same way: the serial as its label (never the holder's
name, which is personal data), the holder as the person concerned, and the firms the holder
worked for on that day (their active memberships) as the firms concerned — the per-collector
and per-firm trails and the firm's export select on those. Free-text reasons go in the event's
personal part: they are written by people and may name people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from lms.accounts.models import Firm, Membership
from lms.auditlog import chain
from lms.auditlog.models import AuditEvent

from .models import AttendanceCertificate, Certificate, IssuanceRequest


def holder_firms(holder_ids: Iterable[int], now: datetime) -> dict[int, list[Firm]]:
    """The firms each holder had an active membership of on ``now``'s Beijing day (one query)."""
    found: dict[int, list[Firm]] = defaultdict(list)
    memberships = (
        Membership.objects.active(timezone.localdate(now))
        .filter(user_id__in=set(holder_ids))
        .select_related("firm")
        .order_by("firm_id")
    )
    for membership in memberships:
        found[membership.user_id].append(membership.firm)
    return found


def certificate_facts(certificate: Certificate) -> dict[str, Any]:
    """What every event about a certification names: which certificate, of which programme,
    its dates, and the status it has after the change."""
    return {
        "certificate_id": certificate.pk,
        "serial": certificate.serial,
        "programme_id": certificate.programme_id,
        "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at,
        "status": certificate.status,
    }


def record_certificate(
    event_type: str,
    certificate: Certificate | AttendanceCertificate,
    *,
    now: datetime,
    actor: Any = None,
    payload: Mapping[str, Any] | None = None,
    personal: Mapping[str, Any] | None = None,
    firms: list[Firm] | None = None,
) -> AuditEvent:
    """Append ``event_type`` about ``certificate`` to the chain (inside the caller's
    transaction, after the change is saved). ``firms``: the holder's firms when the caller has
    read them already (a sweep reads them for all its certificates in one query)."""
    if firms is None:
        firms = holder_firms([certificate.holder_id], now).get(certificate.holder_id, [])
    if isinstance(certificate, Certificate):
        facts = certificate_facts(certificate)
    else:
        facts = {
            "certificate_id": certificate.pk,
            "serial": certificate.serial,
            "kind": "attendance",
            "registration_id": certificate.registration_id,
            "issued_at": certificate.issued_at,
        }
    return chain.record(
        event_type,
        subject=certificate,
        subject_label=certificate.serial,
        actor=actor,
        firms=firms,
        persons=[certificate.holder_id],
        payload={**facts, **dict(payload or {})},
        personal=personal,
    )


def record_issued(
    request: IssuanceRequest, certificate: Certificate, *, now: datetime, firms: list[Firm]
) -> None:
    """The ``certificate.issued`` event (also for a legal-update refresh, ``updates.refresh``):
    which request, attempt and score earned it, what it renews, and its legal basis."""
    record_certificate(
        "certificate.issued",
        certificate,
        now=now,
        firms=firms,
        payload={
            "issuance_kind": request.kind,
            "request_id": request.pk,
            "attempt_id": request.attempt_id,
            "update_module_id": request.update_module_id,
            "renews_id": request.renews_id,
            "score": certificate.score,
            "status_index": certificate.status_index,
            "basis": sorted(certificate.basis_entries.values_list("regulation_id", flat=True)),
        },
    )


def record_superseded(
    old: Certificate,
    from_status: str,
    request: IssuanceRequest,
    *,
    now: datetime,
    firms: list[Firm],
    payload: dict | None = None,
) -> None:
    """The ``certificate.superseded`` event of ``old`` (its ``superseded_by`` set), for a
    renewal or a legal-update refresh."""
    assert old.superseded_by is not None
    record_certificate(
        "certificate.superseded",
        old,
        now=now,
        firms=firms,
        payload={
            "from_status": from_status,
            "superseded_by_id": old.superseded_by.pk,
            "superseded_by_serial": old.superseded_by.serial,
            "issuance_kind": request.kind,
            "request_id": request.pk,
            **(payload or {}),
        },
    )
