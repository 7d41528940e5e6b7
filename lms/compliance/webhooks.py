"""Webhooks: turn an event into signed deliveries to the subscribing firm, and make each try.

An event concerns one collector and goes only to the subscriptions of the firm the collector
is an active member of now (so an agency never hears about another agency's staff). The one
event about a firm, ``firm.status_changed``, goes to the firm itself and to the lenders that
contract with it today (they must know when an agency they use is suspended or banned). Each
matching subscription gets a :class:`WebhookDelivery` holding the payload — ``id`` (the event's
id, the same for every subscription and every redelivery, so receivers can deduplicate),
``type``, ``created`` and ``data``; data carries ids and employee numbers, never names or
phones. The delivery task is queued after the transaction commits; a broker outage leaves the
row pending for :func:`stuck_deliveries` (the periodic sweep) to find.

Each try is signed per the Standard Webhooks specification (https://www.standardwebhooks.com),
so receivers verify with any of its reference libraries instead of code of ours: ``webhook-id``
is the event id (stable across retries and redeliveries), ``webhook-timestamp`` the Unix time of
the try, and ``webhook-signature`` is ``v1,<base64 HMAC-SHA256>`` over ``f"{id}.{timestamp}."``
and the exact body bytes, keyed with the subscription's ``whsec_`` secret. During a rotation's
overlap it carries two signatures, space-separated: the new secret's and the previous one's.
The signing itself is the reference library's (``standardwebhooks``), not a copy of it.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial, reduce
from operator import or_
from typing import Any, Protocol

from celery.exceptions import Retry
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from exams.certificates.models import CertificateStatus
from lms.accounts.models import Contract, Firm, FirmStatusChange, Membership

from . import webhook_http
from .models import CollectorRating, WebhookDelivery, WebhookEvent, WebhookSubscription
from .models.webhooks import DeliveryStatus

logger = logging.getLogger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_HEADER = "X-SSA-Event"
USER_AGENT = "SunshineAcademy-Webhooks/1"
TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 10
KEPT_RESPONSE_CHARS = 1000
# A pending delivery with no attempt due for this long has lost its task.
STUCK_AFTER = timedelta(minutes=10)


# --- Payloads and signatures -------------------------------------------------------------------


def encode(payload: dict) -> bytes:
    """The body sent: compact UTF-8 JSON with sorted keys (the same bytes on every try)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>``: one secret's Standard Webhooks signature of ``body``."""
    # The library takes the body as text and signs its UTF-8 encoding: the bytes sent.
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return Webhook(secret).sign(message_id, moment, body.decode())


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, space-separated."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)


def signed_headers(
    secrets: list[str], message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for one try of ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secrets, message_id, timestamp, body),
    }


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def number(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None


@dataclass
class Event:
    """Something that happened to one collector, for the firm they now belong to."""

    type: str
    firm_id: int
    data: dict
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created: datetime = field(default_factory=timezone.now)

    def payload(self) -> dict:
        return {
            "id": str(self.id),
            "type": self.type,
            "created": iso(self.created),
            "data": self.data,
        }


# --- Fan-out -----------------------------------------------------------------------------------


def subscriptions_for(event_type: str) -> dict[int, list[WebhookSubscription]]:
    """Active subscriptions to ``event_type``, by firm id (one query; the list of events is
    checked here so it works on every database)."""
    by_firm: dict[int, list[WebhookSubscription]] = defaultdict(list)
    for subscription in WebhookSubscription.objects.filter(is_active=True):
        if event_type in subscription.events:
            by_firm[subscription.firm_id].append(subscription)
    return dict(by_firm)


def chunks(ids: list[int], size: int = 1000) -> Iterable[list[int]]:
    """Slices of ``ids`` small enough for an IN clause on every database."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def current_memberships(user_ids: Iterable[int], firm_ids: set[int]) -> dict[int, Membership]:
    """Each user's membership active today, among ``firm_ids`` (the latest if two overlap)."""
    found: dict[int, Membership] = {}
    for chunk in chunks(list(dict.fromkeys(user_ids))):
        rows = (
            Membership.objects.active()
            .filter(user_id__in=chunk)
            .order_by("active_from", "pk")
            .only("user_id", "firm_id", "employee_number")
        )
        for membership in rows:
            found[membership.user_id] = membership
    return {user_id: m for user_id, m in found.items() if m.firm_id in firm_ids}


def publish(events: list[Event], subscriptions: dict[int, list[WebhookSubscription]]) -> int:
    """One delivery per event and subscription of the event's firm, queued after commit."""
    deliveries = [
        WebhookDelivery(
            subscription=subscription,
            event=event.type,
            event_id=event.id,
            payload=event.payload(),
            created_at=event.created,
        )
        for event in events
        for subscription in subscriptions.get(event.firm_id, [])
    ]
    if not deliveries:
        return 0
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=500)
    transaction.on_commit(partial(queue, [(delivery.pk, 0) for delivery in deliveries]))
    return len(deliveries)


def queue(deliveries: list[tuple[int, int]]) -> None:
    """Queue the delivery task for each ``(delivery id, attempts so far)``.

    A broker outage must not break the action that caused the event: the error is logged and
    the delivery stays pending for the sweep. Without a broker (eager tasks, the embedded
    default) the first try runs here and a failed one cannot be scheduled for later: it stays
    pending for the sweep, or for "Redeliver" in the admin.
    """
    from .tasks.webhooks import deliver_webhook

    for delivery_id, attempts in deliveries:
        try:
            deliver_webhook.delay(delivery_id, attempts)
        except Retry:
            logger.info("Webhook delivery %s failed its first try; left pending", delivery_id)
        except Exception:
            logger.exception(
                "Could not queue webhook delivery %s; the sweep will retry", delivery_id
            )


# --- Events ------------------------------------------------------------------------------------


def collector_data(membership: Membership) -> dict:
    return {"id": membership.user_id, "employee_number": membership.employee_number}


def certificate_data(certificate) -> dict:
    return {
        "verification_code": certificate.verification_code,
        "serial": certificate.serial,
        "status": certificate.status,
        "programme": {"code": certificate.programme.code, "name": certificate.programme_name},
        "score": number(certificate.score),
        "issued_at": iso(certificate.issued_at),
        "expires_at": iso(certificate.expires_at),
        "revoked_at": iso(certificate.revoked_at),
        "suspension": suspension_data(certificate),
    }


def suspension_data(certificate) -> dict | None:
    """The suspension in force: its reason category and since when (never the free-text
    reason, which may name a finding or a person); None unless suspended (then one query)."""
    if certificate.status != CertificateStatus.SUSPENDED:
        return None
    suspension = certificate.open_suspension
    if suspension is None:
        return None
    return {"category": suspension.category, "since": iso(suspension.started_at)}


def announce_certificate(certificate, event_type: str) -> int:
    """``certificate.issued`` / ``.revoked`` / ``.expired`` / ``.suspended`` / ``.reinstated``
    to the holder's current firm."""
    subscriptions = subscriptions_for(event_type)
    if not subscriptions:
        return 0
    membership = current_memberships([certificate.holder_id], set(subscriptions)).get(
        certificate.holder_id
    )
    if membership is None:
        return 0
    data = {"collector": collector_data(membership), "certificate": certificate_data(certificate)}
    return publish([Event(event_type, membership.firm_id, data)], subscriptions)


@dataclass(frozen=True)
class RatingChange:
    """A collector's new rating, and the one before it when known."""

    user_id: int
    grade: str
    score: Decimal | float
    formula_version: str
    changed_at: datetime
    reason: str = ""
    previous_grade: str | None = None
    previous_score: Decimal | float | None = None


class ChangedRating(Protocol):
    """What :func:`announce_ratings` reads of a change: a :class:`RatingChange`, or the rating
    engine's own ``recompute.RatingChange`` as it comes (a million of them on the first night,
    not copied one by one to be dropped when no firm subscribes)."""

    @property
    def user_id(self) -> int: ...
    @property
    def grade(self) -> str: ...
    @property
    def score(self) -> Decimal | float: ...
    @property
    def formula_version(self) -> str: ...
    @property
    def changed_at(self) -> datetime: ...
    @property
    def reason(self) -> str: ...
    @property
    def previous_grade(self) -> str | None: ...
    @property
    def previous_score(self) -> Decimal | float | None: ...


def announce_ratings(changes: Sequence[ChangedRating]) -> int:
    """``rating.changed`` for each change, to the collector's current firm (set-based: a few
    queries whatever the number of changes, one when no firm subscribes)."""
    subscriptions = subscriptions_for(WebhookEvent.RATING_CHANGED)
    if not subscriptions or not changes:
        return 0
    memberships = current_memberships([c.user_id for c in changes], set(subscriptions))
    certificates = {
        user_id: (status, expires_at)
        for chunk in chunks(list(memberships))
        for user_id, status, expires_at in CollectorRating.objects.filter(
            user_id__in=chunk
        ).values_list("user_id", "certificate_status", "certificate_expires_at")
    }
    events = []
    for change in changes:
        membership = memberships.get(change.user_id)
        if membership is None:
            continue
        certificate_status, certificate_expires_at = certificates.get(change.user_id, ("", None))
        data = {
            "collector": collector_data(membership),
            "grade": change.grade,
            "score": number(change.score),
            "previous_grade": change.previous_grade,
            "previous_score": number(change.previous_score),
            "certificate_status": certificate_status or None,
            "certificate_expires_at": iso(certificate_expires_at),
            "formula_version": change.formula_version,
            "reason": change.reason,
            "changed_at": iso(change.changed_at),
        }
        events.append(Event(WebhookEvent.RATING_CHANGED, membership.firm_id, data))
    return publish(events, subscriptions)


def contracting_lender_ids(firm: Firm) -> set[int]:
    """The lenders whose contract with ``firm`` (an agency) runs today."""
    return set(Contract.objects.current().filter(agency=firm).values_list("lender_id", flat=True))


def announce_firm_status(firm: Firm, change: FirmStatusChange) -> int:
    """``firm.status_changed`` to the firm's subscriptions and those of the lenders contracting
    it today: one event (one id) for all of them. The payload names the firm and the ban
    category, never the reasons or who decided (they may name people)."""
    subscriptions = subscriptions_for(WebhookEvent.FIRM_STATUS_CHANGED)
    recipients = ({firm.pk} | contracting_lender_ids(firm)) & set(subscriptions)
    if not recipients:
        return 0
    # The signal's firm is the row as it was locked, before the change: read it as it is now.
    firm = Firm.objects.get(pk=firm.pk)
    data = {
        "firm": {"credit_code": firm.credit_code, "name": firm.name, "kind": firm.kind},
        "status": change.to_status,
        "previous_status": change.from_status,
        "ban_category": change.category or None,
        "admission_expires_on": (
            firm.admission_expires_on.isoformat() if firm.admission_expires_on else None
        ),
        "changed_at": iso(change.decided_at),
    }
    first = Event(WebhookEvent.FIRM_STATUS_CHANGED, firm.pk, data)
    events = [
        Event(first.type, firm_id, data, id=first.id, created=first.created)
        for firm_id in sorted(recipients)
    ]
    return publish(events, subscriptions)


# --- Delivery ----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 10, 20, 40 … 640."""
    return FIRST_RETRY_SECONDS * 2 ** (attempts - 1)


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatus, or "skipped" when another worker has this attempt
    attempts: int = 0
    retry_in: int | None = None


SKIPPED = Outcome("skipped")


def attempt_delivery(delivery_id: int, expected_attempts: int | None = None) -> Outcome:
    """Make the next try of a pending delivery and record how it went.

    The try is claimed first by a conditional UPDATE of ``attempts`` (from the count the task
    was queued with), so a retry and a sweep queued for the same try send it once between them.
    2xx is success; anything else is retried after :func:`retry_delay` until
    :data:`MAX_ATTEMPTS`, then the delivery fails. A URL that may not be called fails at once.
    """
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return SKIPPED
    seen = delivery.attempts
    if expected_attempts is not None and expected_attempts != seen:
        return SKIPPED  # that try was already made (a duplicate task, or a late sweep)
    if seen >= MAX_ATTEMPTS:  # the worker of the last try was lost
        finish(delivery_id, DeliveryStatus.FAILED, error="Gave up after the last attempt.")
        return Outcome(DeliveryStatus.FAILED, seen)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=seen
    ).update(attempts=seen + 1, last_attempt_at=timezone.now())
    if not claimed:
        return SKIPPED
    attempts = seen + 1
    subscription = delivery.subscription
    if not subscription.is_active:
        finish(delivery_id, DeliveryStatus.FAILED, error="The subscription is not active.")
        return Outcome(DeliveryStatus.FAILED, attempts)

    body = encode(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        **signed_headers(subscription.signing_secrets(), str(delivery.event_id), body),
    }
    response: webhook_http.Response | None
    try:
        response = webhook_http.post(subscription.url, body, headers, timeout=TIMEOUT_SECONDS)
    except webhook_http.UnsafeURL as error:
        finish(delivery_id, DeliveryStatus.FAILED, error=str(error))
        return Outcome(DeliveryStatus.FAILED, attempts)
    except (OSError, http.client.HTTPException) as error:
        response, problem = None, f"{type(error).__name__}: {error}"
    else:
        problem = "" if 200 <= response.status < 300 else f"HTTP {response.status}"

    response_fields: dict[str, Any] = {
        "response_status": response.status if response else None,
        "response_body": response.body[:KEPT_RESPONSE_CHARS] if response else "",
    }
    if not problem:
        finish(
            delivery_id, DeliveryStatus.SUCCEEDED, delivered_at=timezone.now(), **response_fields
        )
        return Outcome(DeliveryStatus.SUCCEEDED, attempts)
    logger.warning("Webhook delivery %s attempt %s failed: %s", delivery_id, attempts, problem)
    if attempts >= MAX_ATTEMPTS:
        finish(delivery_id, DeliveryStatus.FAILED, error=problem, **response_fields)
        return Outcome(DeliveryStatus.FAILED, attempts)
    finish(delivery_id, DeliveryStatus.PENDING, error=problem, **response_fields)
    return Outcome(DeliveryStatus.PENDING, attempts, retry_in=retry_delay(attempts))


def finish(delivery_id: int, status: str, *, error: str = "", **fields) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).update(status=status, error=error, **fields)


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again (from the admin): a new delivery of the same event and payload,
    linked to the original, queued after commit. Receivers see the same event id."""
    again = WebhookDelivery.objects.create(
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        redelivery_of=delivery,
    )
    transaction.on_commit(partial(queue, [(again.pk, 0)]))
    return again


def stuck_deliveries(now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """Pending deliveries whose next try is overdue by :data:`STUCK_AFTER`: their task was lost
    (broker down when queued, worker killed). ``(id, attempts)``, oldest first."""
    now = now or timezone.now()
    overdue = [Q(attempts=0, created_at__lte=now - STUCK_AFTER)] + [
        Q(attempts=n, last_attempt_at__lte=now - STUCK_AFTER - timedelta(seconds=retry_delay(n)))
        for n in range(1, MAX_ATTEMPTS + 1)
    ]
    rows = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(reduce(or_, overdue))
        .order_by("created_at")
        .values_list("pk", "attempts")
    )
    return list(rows[:limit])
