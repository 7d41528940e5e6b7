"""``firm.status_changed``: a firm's status change goes, signed, to the firm's own
subscriptions and to those of the lenders contracting it today — one event id for all — and
never to anyone else; the payload carries no reasons and no people."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts.models import BanCategory, FirmKind, FirmStatus
from lms.compliance.models import WebhookDelivery, WebhookSubscription
from tests.factories import FirmFactory, UserFactory

from .dashboard_factories import contract
from .test_webhooks import Receiver, verify

pytestmark = pytest.mark.django_db

EVENT = "firm.status_changed"


@pytest.fixture
def hooks(settings):
    """A real HTTP receiver on 127.0.0.1 (test_webhooks.Receiver)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    server = Receiver()
    yield server
    server.close()


def subscribe(firm, url, events=(EVENT,)):
    return WebhookSubscription.objects.create(firm=firm, url=url, events=list(events))


def test_a_ban_reaches_the_agency_and_its_current_lender_only(
    django_capture_on_commit_callbacks, hooks
):
    today = timezone.localdate()
    agency = FirmFactory(name="晴川资产管理")
    lender = FirmFactory(name="阳光消费金融", kind=FirmKind.LENDER)
    former = FirmFactory(name="旧委托方", kind=FirmKind.LENDER)
    stranger = FirmFactory(name="无关委托方", kind=FirmKind.LENDER)
    contract(lender, agency, starts_on=today - timedelta(days=30))
    contract(
        former, agency, starts_on=today - timedelta(days=400), ends_on=today - timedelta(days=1)
    )
    own = subscribe(agency, hooks.url + "&to=agency")
    lenders = subscribe(lender, hooks.url + "&to=lender")
    subscribe(former, hooks.url + "&to=former")
    subscribe(stranger, hooks.url + "&to=stranger")
    subscribe(lender, hooks.url + "&to=ratings-only", events=["rating.changed"])

    with django_capture_on_commit_callbacks(execute=True):
        agency.change_status(
            FirmStatus.BANNED,
            by=UserFactory(email="first@platform.example"),
            confirmed_by=UserFactory(email="second@platform.example"),
            reason="经核实存在暴力催收，涉及债务人张三",
            category=BanCategory.VIOLENT_COLLECTION,
        )

    deliveries = WebhookDelivery.objects.order_by("subscription_id")
    assert [d.subscription for d in deliveries] == [own, lenders]
    assert len({d.event_id for d in deliveries}) == 1
    assert all(d.status == "succeeded" for d in deliveries)
    assert sorted(r["path"].rsplit("=", 1)[-1] for r in hooks.requests) == ["agency", "lender"]
    for request in hooks.requests:
        subscription = own if request["path"].endswith("agency") else lenders
        payload = verify(subscription.secret, request["body"], request["headers"])
        assert payload is not None and payload["type"] == EVENT
        assert request["headers"]["X-SSA-Event"] == EVENT
        assert payload["data"] == {
            "firm": {"credit_code": agency.credit_code, "name": "晴川资产管理", "kind": "agency"},
            "status": "banned",
            "previous_status": "admitted",
            "ban_category": "violent_collection",
            "admission_expires_on": None,
            "changed_at": payload["data"]["changed_at"],
        }
        body = request["body"].decode()
        assert "张三" not in body and "暴力催收" not in body and "@" not in body
        assert json.loads(body)["id"] == str(deliveries[0].event_id)


def test_a_lenders_own_change_goes_to_itself_only(django_capture_on_commit_callbacks, hooks):
    lender = FirmFactory(kind=FirmKind.LENDER)
    agency = FirmFactory()
    contract(lender, agency, starts_on=timezone.localdate())
    mine = subscribe(lender, hooks.url)
    subscribe(agency, hooks.url + "&to=agency")

    with django_capture_on_commit_callbacks(execute=True):
        lender.change_status(FirmStatus.SUSPENDED, by=UserFactory(), reason="复评未通过")

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.subscription == mine
    assert delivery.payload["data"]["status"] == "suspended"
    assert delivery.payload["data"]["ban_category"] is None


def test_the_event_is_not_sent_before_the_change_commits(django_capture_on_commit_callbacks):
    agency = FirmFactory()
    subscribe(agency, "https://hooks.example.com/ssa")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        agency.change_status(FirmStatus.SUSPENDED, by=UserFactory(), reason="复评未通过")

    assert not WebhookDelivery.objects.exists()
    assert callbacks  # the signal waits for the commit


def test_a_readmission_carries_the_new_expiry(django_capture_on_commit_callbacks):
    agency = FirmFactory(status=FirmStatus.SUSPENDED)
    subscribe(agency, "https://hooks.example.com/ssa")
    valid_until = timezone.localdate() + timedelta(days=365)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        agency.change_status(
            FirmStatus.ADMITTED,
            by=UserFactory(),
            reason="复评通过",
            admission_expires_on=valid_until,
        )
    callbacks[0]()  # the signal, once committed (the delivery's own task is not run)

    [delivery] = WebhookDelivery.objects.all()
    data = delivery.payload["data"]
    assert (data["previous_status"], data["status"]) == ("suspended", "admitted")
    assert data["admission_expires_on"] == valid_until.isoformat()
