"""Webhooks end to end: events from certificates and ratings become signed POSTs to a real HTTP
receiver (a thread on 127.0.0.1), retried with backoff, failed after the last try, redelivered,
swept when their task was lost, and only ever sent to the collector's own firm. Signatures are
checked with the Standard Webhooks reference library, as a firm's developer would."""

from __future__ import annotations

import base64
import importlib
import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from exams.certificates import lifecycle
from exams.certificates import signals as certificate_signals
from lms.compliance import signals, webhook_http, webhooks
from lms.compliance.models import RatingSnapshot, WebhookDelivery, WebhookSubscription
from lms.compliance.models.webhooks import new_secret
from lms.compliance.tasks.webhooks import deliver_webhook, retry_pending_webhooks
from tests.conftest import signed_in
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory
from tests.lms.test_celery_worker import wait_for, worker  # noqa: F401 (the worker fixture)

from .api_factories import make_collector, move, rate

pytestmark = pytest.mark.django_db

ALL_EVENTS = ["rating.changed", "certificate.issued", "certificate.revoked", "certificate.expired"]


# The verification snippet from the README (### Webhooks), copied as a firm's developer would:
# the reference library, never the platform's own code, must accept what the platform sends.
def verify(secret: str, body: bytes, headers) -> dict | None:
    """The event if ``body`` was signed with ``secret`` (whsec_…), else None."""
    try:
        return Webhook(secret).verify(body, dict(headers))
    except (WebhookVerificationError, ValueError):  # ValueError: a malformed header
        return None


def verifies(secret: str, request: dict) -> bool:
    return verify(secret, request["body"], request["headers"]) is not None


# --- A real receiver ---------------------------------------------------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers with scripted statuses
    (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses = [200]
        self.reply = b'{"ok": true}'
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                self.send_response(receiver.statuses[index])
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ssa?src=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver is on 127.0.0.1
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def firm():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def subscription(firm, receiver):
    return WebhookSubscription.objects.create(firm=firm, url=receiver.url, events=ALL_EVENTS)


def run_like_a_worker(delivery_id: int, attempts: int = 0) -> list[int]:
    """Run the delivery task as a worker would: each retry it asks for is run next (without
    waiting). Returns the countdowns it asked for."""
    args, countdowns = [delivery_id, attempts], []
    while True:
        try:
            deliver_webhook.apply(args=args, throw=True)
        except Retry as retry:
            countdowns.append(retry.when)
            args = retry.sig.args
        else:
            return countdowns


def rating_change(user, grade="C", score="60.00", **extra) -> webhooks.RatingChange:
    return webhooks.RatingChange(
        user_id=user.pk,
        grade=grade,
        score=Decimal(score),
        formula_version="2026.1",
        changed_at=timezone.now(),
        reason="finding_confirmed",
        **extra,
    )


def send_rating_change(capture, user, **extra) -> None:
    with capture(execute=True):
        webhooks.announce_ratings([rating_change(user, **extra)])


# --- Delivery ----------------------------------------------------------------------------------


def test_a_receiver_gets_a_signed_post_that_the_documented_snippet_verifies(
    django_capture_on_commit_callbacks, firm, subscription, receiver
):
    collector = make_collector(firm, legal_name="张小三", phone="13812345678")
    rate(collector, "B")

    send_rating_change(
        django_capture_on_commit_callbacks,
        collector,
        previous_grade="B",
        previous_score=Decimal("75.00"),
    )

    [request] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    headers = request["headers"]
    assert request["path"] == "/hooks/ssa?src=test"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-SSA-Event"] == "rating.changed"
    assert headers["webhook-id"] == str(delivery.event_id)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert " " not in headers["webhook-signature"]  # one secret, one signature
    assert verify(subscription.secret, request["body"], headers) == delivery.payload
    assert verify(new_secret(), request["body"], headers) is None
    assert verify(subscription.secret, request["body"] + b" ", headers) is None
    tampered = request["body"].replace(b'"grade":"C"', b'"grade":"A"')
    assert tampered != request["body"]
    assert verify(subscription.secret, tampered, headers) is None
    payload = json.loads(request["body"])
    assert payload == delivery.payload
    assert payload["id"] == str(delivery.event_id)
    assert payload["type"] == "rating.changed"
    assert payload["data"]["collector"]["id"] == collector.pk
    assert payload["data"]["grade"] == "C" and payload["data"]["previous_grade"] == "B"
    assert payload["data"]["certificate_status"] == "valid"
    body = request["body"].decode()
    assert "张小三" not in body and "13812345678" not in body and "@" not in body
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.response_status == 200 and delivery.response_body == '{"ok": true}'
    assert delivery.delivered_at is not None


def test_an_old_or_altered_timestamp_is_refused_by_the_library(subscription):
    body = '{"id":"x","data":{"grade":"优"}}'.encode()
    secrets = [subscription.secret]
    now = int(time.time())
    fresh = webhooks.signed_headers(secrets, "msg_1", body, timestamp=now)
    stale = webhooks.signed_headers(secrets, "msg_1", body, timestamp=now - 3600)
    moved = {**fresh, "webhook-timestamp": str(now - 1)}
    other_id = {**fresh, "webhook-id": "msg_2"}

    assert verify(subscription.secret, body, fresh) is not None
    assert verify(subscription.secret, body, stale) is None  # a replay
    assert verify(subscription.secret, body, moved) is None  # the timestamp is signed
    assert verify(subscription.secret, body, other_id) is None  # so is the event id
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(subscription.secret).verify(body, stale)


def test_new_secrets_are_standard_webhooks_secrets():
    secret = new_secret()

    assert secret.startswith("whsec_") and secret != new_secret()
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_a_failed_attempt_is_retried_with_backoff_until_it_succeeds(firm, subscription, receiver):
    receiver.statuses = [500, 503, 200]
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()

    countdowns = run_like_a_worker(delivery.pk)

    delivery.refresh_from_db()
    assert len(receiver.requests) == 3
    assert countdowns == [10, 20]
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert delivery.response_status == 200 and delivery.error == ""
    ids = {request["headers"]["webhook-id"] for request in receiver.requests}
    assert ids == {str(delivery.event_id)}
    assert all(verifies(subscription.secret, request) for request in receiver.requests)


def test_a_delivery_fails_after_the_last_attempt(firm, subscription, receiver):
    receiver.statuses = [500]
    receiver.reply = b"x" * 3000
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()

    countdowns = run_like_a_worker(delivery.pk)

    delivery.refresh_from_db()
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS == 8
    assert countdowns == [10, 20, 40, 80, 160, 320, 640]
    assert delivery.status == "failed" and delivery.attempts == 8
    assert delivery.response_status == 500 and delivery.error == "HTTP 500"
    assert delivery.response_body == "x" * 1000
    assert delivery.delivered_at is None


def test_without_a_broker_a_failed_first_try_stays_pending(
    django_capture_on_commit_callbacks, firm, subscription, receiver
):
    receiver.statuses = [500]

    send_rating_change(django_capture_on_commit_callbacks, make_collector(firm))  # no error

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_logged_as_an_error(settings, firm):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()  # nothing listens there now
    WebhookSubscription.objects.create(
        firm=firm, url=f"http://127.0.0.1:{port}/", events=["rating.changed"]
    )
    collector = make_collector(firm)
    webhooks.announce_ratings([rating_change(collector)])
    delivery = WebhookDelivery.objects.get()

    outcome = webhooks.attempt_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert outcome.retry_in == 10
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.error and delivery.response_status is None


def test_a_duplicate_task_for_the_same_attempt_sends_nothing(firm, subscription, receiver):
    collector = make_collector(firm)
    webhooks.announce_ratings([rating_change(collector)])
    delivery = WebhookDelivery.objects.get()

    first = webhooks.attempt_delivery(delivery.pk, expected_attempts=0)
    second = webhooks.attempt_delivery(delivery.pk, expected_attempts=0)

    assert first.status == "succeeded" and second.status == "skipped"
    assert len(receiver.requests) == 1


def test_private_addresses_are_refused_without_the_setting(settings, firm, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.DEBUG = False
    WebhookSubscription.objects.create(firm=firm, url=receiver.url, events=["rating.changed"])
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()

    webhooks.attempt_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "failed" and "private" in delivery.error


@pytest.mark.parametrize(
    "address, public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("fd00::1", False),
        ("224.0.0.1", False),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    assert webhook_http.is_public(address) is public


def test_only_http_and_https_urls_are_accepted():
    for url in ("file:///etc/passwd", "gopher://example.com/", "http:///nohost"):
        with pytest.raises(webhook_http.UnsafeURL):
            webhook_http.check_scheme(url)


def test_a_paused_subscription_gets_nothing(firm, subscription, receiver):
    collector = make_collector(firm)
    webhooks.announce_ratings([rating_change(collector)])
    subscription.is_active = False
    subscription.save()

    assert webhooks.attempt_delivery(WebhookDelivery.objects.get().pk).status == "failed"
    assert receiver.requests == []
    assert webhooks.announce_ratings([rating_change(collector)]) == 0


# --- Redelivery and the sweep ------------------------------------------------------------------


def test_redelivery_sends_the_same_event_again_freshly_signed(
    django_capture_on_commit_callbacks, firm, subscription, receiver
):
    send_rating_change(django_capture_on_commit_callbacks, make_collector(firm))
    original = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        again = webhooks.redeliver(original)

    again.refresh_from_db()
    assert again.redelivery_of == original
    assert again.event_id == original.event_id and again.payload == original.payload
    assert again.status == "succeeded"
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["headers"]["webhook-id"] == str(original.event_id)
    assert verifies(subscription.secret, second)


def test_an_administrator_browses_the_log_and_redelivers(
    client, admin_user, django_capture_on_commit_callbacks, firm, subscription, receiver
):
    receiver.statuses = [500]
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    failed = WebhookDelivery.objects.get()
    run_like_a_worker(failed.pk)
    receiver.statuses = [200]
    signed_in(client, admin_user)

    listing = client.get(reverse("compliance_webhook_deliveries:index") + "?status=failed")
    assert listing.status_code == 200
    assert reverse("compliance_webhook_deliveries:inspect", args=[failed.pk]) in (
        listing.content.decode()
    )
    succeeded = client.get(reverse("compliance_webhook_deliveries:index") + "?status=succeeded")
    assert reverse("compliance_webhook_deliveries:inspect", args=[failed.pk]) not in (
        succeeded.content.decode()
    )
    inspect = client.get(reverse("compliance_webhook_deliveries:inspect", args=[failed.pk]))
    assert str(failed.event_id) in inspect.content.decode()

    url = reverse("compliance_webhook_deliveries:redeliver", args=[failed.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    again = WebhookDelivery.objects.get(redelivery_of=failed)
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance_webhook_deliveries:inspect", args=[again.pk])
    again.refresh_from_db()
    assert again.status == "succeeded"


def test_a_broker_outage_leaves_the_delivery_for_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch, firm, subscription, receiver
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(deliver_webhook, "delay", broker_down)
    collector = make_collector(firm)
    send_rating_change(django_capture_on_commit_callbacks, collector)  # does not raise
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and receiver.requests == []
    monkeypatch.undo()

    assert retry_pending_webhooks() == 0  # not overdue yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert retry_pending_webhooks() == 1

    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and len(receiver.requests) == 1


def test_the_sweep_leaves_deliveries_whose_retry_is_not_due(firm, subscription):
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=7,
        created_at=now - timedelta(hours=1),
        last_attempt_at=now - timedelta(minutes=15),  # the 7th retry waits 640 s + 10 min grace
    )

    assert webhooks.stuck_deliveries(now) == []
    assert webhooks.stuck_deliveries(now + timedelta(minutes=6)) == [(delivery.pk, 7)]


# --- Secret rotation ---------------------------------------------------------------------------


def deliver_one(firm) -> WebhookDelivery:
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.latest("pk")
    webhooks.attempt_delivery(delivery.pk)
    return delivery


def test_during_the_overlap_deliveries_verify_with_the_new_and_the_old_secret(
    settings, firm, subscription, receiver
):
    settings.WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)
    old = subscription.secret

    new = subscription.rotate_secret()

    subscription.refresh_from_db()
    assert new == subscription.secret != old
    assert subscription.previous_secret == old
    expected_end = timezone.now() + timedelta(hours=24)
    assert abs(subscription.previous_secret_expires_at - expected_end) < timedelta(minutes=1)
    deliver_one(firm)
    [request] = receiver.requests
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert verifies(new, request)
    assert verifies(old, request)
    assert not verifies(new_secret(), request)


def test_after_the_overlap_the_old_secret_no_longer_verifies(firm, subscription, receiver):
    old = subscription.secret
    new = subscription.rotate_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )

    deliver_one(firm)

    [request] = receiver.requests
    assert " " not in request["headers"]["webhook-signature"]
    assert verifies(new, request)
    assert not verifies(old, request)


def test_a_retry_after_the_overlap_keeps_its_event_id_but_drops_the_old_signature(
    firm, subscription, receiver
):
    receiver.statuses = [500, 200]
    old = subscription.secret
    new = subscription.rotate_secret()
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()

    assert webhooks.attempt_delivery(delivery.pk).status == "pending"
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert webhooks.attempt_delivery(delivery.pk).status == "succeeded"

    during, after = receiver.requests
    assert during["headers"]["webhook-id"] == after["headers"]["webhook-id"]
    assert verifies(old, during) and verifies(new, during)
    assert verifies(new, after) and not verifies(old, after)


def test_rotating_during_an_overlap_drops_the_oldest_secret(firm, subscription, receiver):
    first = subscription.secret
    second = subscription.rotate_secret()
    third = subscription.rotate_secret()

    deliver_one(firm)

    [request] = receiver.requests
    assert subscription.signing_secrets() == [third, second]
    assert verifies(third, request) and verifies(second, request)
    assert not verifies(first, request)


def test_the_admin_rotation_states_the_overlap_and_keeps_the_old_secret(
    client, admin_user, settings, subscription
):
    settings.WEBHOOK_SECRET_OVERLAP = timedelta(hours=2)
    admin_client = signed_in(client, admin_user)
    old = subscription.secret
    url = reverse("compliance_webhook_subscriptions:rotate", args=[subscription.pk])

    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert "在接下来的 2\xa0小时 内，每次投递都带两个签名" in confirm.content.decode()

    rotated = admin_client.post(url)

    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.previous_secret == old
    assert subscription.secret in rotated.content.decode()
    assert "投递也会同时用旧密钥签名" in rotated.content.decode()
    assert old not in rotated.content.decode()  # the old one is never shown again


def test_the_migration_rewrites_old_secrets_as_the_same_key_in_standard_base64():
    migration = importlib.import_module("lms.compliance.migrations.0005_webhook_secret_rotation")
    key = bytes(range(200, 232))  # its URL-safe base64 has "-" and "_"
    old = "whsec_" + base64.urlsafe_b64encode(key).decode().rstrip("=")
    assert "-" in old or "_" in old

    converted = migration.standard_form(old)

    assert converted == "whsec_" + base64.b64encode(key).decode()
    assert migration.standard_form(converted) == converted  # already standard: unchanged
    body, moment = '{"id":"x"}', timezone.now()
    assert Webhook(converted).sign("msg_1", moment, body) == Webhook(key).sign(
        "msg_1", moment, body
    )
    replaced = migration.standard_form("whsec_not-a-key")
    assert len(base64.b64decode(replaced.removeprefix("whsec_"), validate=True)) == 32


def test_the_migration_rewrites_the_stored_secrets(subscription):
    from django.apps import apps

    migration = importlib.import_module("lms.compliance.migrations.0005_webhook_secret_rotation")
    key = bytes(range(200, 232))
    old = "whsec_" + base64.urlsafe_b64encode(key).decode().rstrip("=")
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=old)

    migration.rewrite_secrets(apps, None)

    subscription.refresh_from_db()
    assert subscription.secret == "whsec_" + base64.b64encode(key).decode()


# --- Events and firm isolation -----------------------------------------------------------------


def test_only_the_collectors_firm_hears_about_them(
    django_capture_on_commit_callbacks, firm, subscription, receiver
):
    other_firm = FirmFactory(name="其他催收有限公司")
    other_subscription = WebhookSubscription.objects.create(
        firm=other_firm, url=receiver.url, events=ALL_EVENTS
    )
    collector = make_collector(firm)
    outsider = make_collector(other_firm)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.announce_ratings([rating_change(collector)])

    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [subscription.pk]
    move(collector, other_firm)
    webhooks.announce_ratings([rating_change(collector), rating_change(outsider)])
    later = WebhookDelivery.objects.exclude(subscription=subscription)
    assert {d.subscription_id for d in later} == {other_subscription.pk}
    assert {d.payload["data"]["collector"]["id"] for d in later} == {collector.pk, outsider.pk}
    nobody = make_collector(None)
    assert webhooks.announce_ratings([rating_change(nobody)]) == 0


def test_a_subscription_gets_only_the_events_it_chose(firm, subscription, receiver):
    subscription.events = ["certificate.revoked"]
    subscription.save()

    assert webhooks.announce_ratings([rating_change(make_collector(firm))]) == 0
    assert not WebhookDelivery.objects.exists()


def test_one_event_for_two_endpoints_shares_its_id(firm, subscription, receiver):
    WebhookSubscription.objects.create(firm=firm, url=receiver.url, events=["rating.changed"])

    webhooks.announce_ratings([rating_change(make_collector(firm))])

    first, second = WebhookDelivery.objects.all()
    assert first.event_id == second.event_id and first.subscription != second.subscription


def test_the_rating_signals_become_rating_changed_deliveries(firm, subscription):
    from lms.compliance.recompute import RatingChange

    collector = make_collector(firm)
    snapshot = RatingSnapshot.objects.create(
        user=collector,
        score=Decimal("50.00"),
        grade="D",
        formula_version="2026.1",
        reason="finding_confirmed",
    )

    signals.rating_changed.send(
        RatingSnapshot, user=collector, snapshot=snapshot, previous_grade="B", previous_score=None
    )
    signals.ratings_changed.send(
        RatingSnapshot,
        changes=[
            RatingChange(
                user_id=collector.pk,
                firm_id=firm.pk,
                snapshot_id=snapshot.pk,
                score=Decimal("45.00"),
                grade="D",
                previous_score=Decimal("50.00"),
                previous_grade="D",
                formula_version="2026.1",
                reason="nightly",
                changed_at=timezone.now(),
            )
        ],
    )

    single, bulk = WebhookDelivery.objects.order_by("pk")
    assert single.event == bulk.event == "rating.changed"
    assert (single.payload["data"]["grade"], single.payload["data"]["previous_grade"]) == ("D", "B")
    assert bulk.payload["data"]["score"] == 45.0 and bulk.payload["data"]["reason"] == "nightly"


@pytest.fixture
def certified(monkeypatch, firm):
    """A collector of ``firm`` with a freshly issued certificate (its events not yet sent)."""
    use_fast_pdf(monkeypatch)
    collector = make_collector(firm, legal_name="张小三")
    programme = make_programme().programme
    return collector, programme


def certificate_deliveries(event: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event=event))


def test_issuing_revoking_and_expiring_certificates_are_announced(
    django_capture_on_commit_callbacks, certified, subscription, receiver, admin_user
):
    collector, programme = certified

    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_certificate(collector, programme)
    [issued] = certificate_deliveries("certificate.issued")
    data = issued.payload["data"]
    assert data["collector"]["id"] == collector.pk
    assert data["certificate"]["verification_code"] == certificate.verification_code
    assert data["certificate"]["status"] == "valid"
    assert "张小三" not in json.dumps(issued.payload, ensure_ascii=False)
    assert issued.status == "succeeded"

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.revoke(certificate, by=admin_user, reason="考试作弊")
    [revoked] = certificate_deliveries("certificate.revoked")
    assert revoked.payload["data"]["certificate"]["status"] == "revoked"
    assert "考试作弊" not in json.dumps(revoked.payload, ensure_ascii=False)

    second = issue_certificate(collector, make_programme().programme)
    type(second).objects.filter(pk=second.pk).update(
        issued_at=timezone.now() - timedelta(days=800),
        expires_at=timezone.now() - timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.expire_certificates() == 1
    [expired] = certificate_deliveries("certificate.expired")
    assert expired.payload["data"]["certificate"]["serial"] == second.serial
    types = {request["headers"]["X-SSA-Event"] for request in receiver.requests}
    assert {"certificate.issued", "certificate.revoked", "certificate.expired"} <= types


def test_a_superseded_certificate_is_not_announced(certified, subscription):
    collector, programme = certified
    certificate = issue_certificate(collector, programme)

    certificate_signals.certificate_status_changed.send(
        type(certificate), certificate=certificate, status="superseded"
    )

    assert not WebhookDelivery.objects.exists()


def test_another_firms_certificate_events_reach_only_that_firm(certified, subscription):
    collector, programme = certified
    other_firm = FirmFactory(name="其他催收有限公司")
    move(collector, other_firm)
    certificate = issue_certificate(collector, programme)

    certificate_signals.certificate_issued.send(type(certificate), certificate=certificate)

    assert not WebhookDelivery.objects.exists()


# --- Through a real broker ---------------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("worker")
def test_a_real_worker_delivers_and_retries_through_the_broker(monkeypatch, receiver):
    monkeypatch.setattr(webhooks, "FIRST_RETRY_SECONDS", 1)  # the retry waits 1 s, not 10
    receiver.statuses = [500, 200]
    firm = FirmFactory(name="阳光资产管理有限公司")
    WebhookSubscription.objects.create(firm=firm, url=receiver.url, events=ALL_EVENTS)

    # Committed at once (no atomic block), so the membership's own recompute may announce a
    # rating.changed too: both go through the broker.
    webhooks.announce_ratings([rating_change(make_collector(firm))])

    def all_delivered() -> bool:
        statuses = set(WebhookDelivery.objects.values_list("status", flat=True))
        return statuses == {"succeeded"}

    assert wait_for(all_delivered)
    attempts = sorted(WebhookDelivery.objects.values_list("attempts", flat=True))
    assert attempts[-1] == 2  # the one that met the 500 was retried by the worker
    assert sum(attempts) == len(receiver.requests)
