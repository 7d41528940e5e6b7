"""Webhooks go to public addresses only, however an internal address is spelled (SSRF).

Each case goes through the two paths that matter: an administrator registering the URL in the
admin (literal addresses are refused there), and a delivery to a host name that resolves to the
address when it is sent (names are checked then, every time, so a DNS answer that changes after
registration, DNS rebinding, is caught too).
"""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from lms.compliance import public_addresses, webhooks
from lms.compliance.models import WebhookDelivery, WebhookSubscription
from tests.conftest import signed_in
from tests.factories import FirmFactory

from .api_factories import make_collector
from .test_webhooks import rating_change

pytestmark = pytest.mark.django_db

# (address, why it must be refused)
REFUSED = [
    ("127.0.0.1", "IPv4 loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local: cloud metadata"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("::1", "IPv6 loopback"),
    ("::", "IPv6 unspecified"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("::169.254.169.254", "IPv4-compatible metadata address"),
    ("::ffff:0:7f00:1", "IPv4-translated loopback"),
    ("64:ff9b::7f00:1", "NAT64 to loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 to the metadata address"),
    ("64:ff9b:1::808:808", "NAT64 local-use prefix"),
    ("2002:7f00:1::1", "6to4 around loopback"),
    ("2002:c0a8:101::1", "6to4 around 192.168.1.1"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("fc00::1", "unique local"),
    ("fd12:3456:789a::1", "unique local"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "global-scope multicast"),
    ("2001:db8::1", "documentation"),
]
ACCEPTED = [
    "8.8.8.8",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 to a public address
    "2002:808:808::1",  # 6to4 around a public address
]


@pytest.mark.parametrize("address, why", REFUSED)
def test_internal_addresses_are_not_public(address, why):
    assert public_addresses.is_public(address) is False, why


@pytest.mark.parametrize("address", ACCEPTED)
def test_public_addresses_are_public(address):
    assert public_addresses.is_public(address) is True


def url_for(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/ssa/hooks"


def register(client, firm, url: str):
    return client.post(
        reverse("compliance_webhook_subscriptions:add"),
        {"firm": firm.pk, "url": url, "events": ["rating.changed"], "is_active": "on"},
    )


@pytest.fixture
def strict(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def admin(client, admin_user):
    """A signed-in administrator (with TOTP set up, as the admin requires)."""
    return signed_in(client, admin_user)


@pytest.fixture
def firm():
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.mark.parametrize("address, why", REFUSED)
def test_registering_a_literal_internal_address_is_refused(admin, firm, strict, address, why):
    response = register(admin, firm, url_for(address))

    assert response.status_code == 200, why
    assert response.context["form"].errors["url"], why
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000/hook", "https://api.localhost/hook", "http://LOCALHOST./hook"],
)
def test_registering_localhost_is_refused(admin, firm, strict, url):
    response = register(admin, firm, url)

    assert response.context["form"].errors["url"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("address", ACCEPTED)
def test_registering_a_public_address_is_accepted(admin, firm, strict, address):
    register(admin, firm, url_for(address))

    assert WebhookSubscription.objects.get().url == url_for(address)


@pytest.mark.parametrize(
    "host, address",
    [("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1")],
)
def test_legacy_ipv4_spellings_are_read_as_the_address_they_mean(host, address):
    assert str(public_addresses.literal_address(host)) == address
    assert public_addresses.literal_address("hooks.example.com") is None


class FakeNetwork:
    """DNS answers and connections for a host name, without a network.

    ``hooks.partner.example`` resolves to ``address``; a connection is recorded and refused
    (nothing listens), which shows the address a delivery would have connected to.
    """

    def __init__(self, monkeypatch, address: str) -> None:
        self.address, self.connections = address, []
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", self.create_connection)

    def getaddrinfo(self, host, port, *args, **kwargs):
        assert host == "hooks.partner.example"
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (self.address, port))]

    def create_connection(self, address, *args, **kwargs):
        self.connections.append(address[0])
        raise ConnectionRefusedError("nothing listens here")


def deliver_to(firm) -> WebhookDelivery:
    """Register a host name (accepted: names are checked at delivery) and send one event."""
    WebhookSubscription.objects.create(
        firm=firm, url="https://hooks.partner.example/ssa", events=["rating.changed"]
    )
    webhooks.announce_ratings([rating_change(make_collector(firm))])
    delivery = WebhookDelivery.objects.get()
    webhooks.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.parametrize("address, why", REFUSED)
def test_a_name_resolving_to_an_internal_address_is_never_connected_to(
    monkeypatch, firm, strict, address, why
):
    network = FakeNetwork(monkeypatch, address)

    delivery = deliver_to(firm)

    assert network.connections == [], why
    assert delivery.status == "failed", why  # refused at once, not retried
    assert "private or reserved address" in delivery.error


@pytest.mark.parametrize("address", ACCEPTED)
def test_a_name_resolving_to_a_public_address_is_connected_to_at_that_address(
    monkeypatch, firm, strict, address
):
    network = FakeNetwork(monkeypatch, address)

    delivery = deliver_to(firm)

    assert network.connections == [address]  # the checked address, not a second lookup
    assert delivery.status != "succeeded" and "nothing listens here" in delivery.error
