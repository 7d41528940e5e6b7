"""API tokens: ``manage.py create_api_token`` and the Wagtail admin screens (shown once, stored
hashed, listed by prefix, revocable); webhook subscriptions' secret shown once and rotated."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from lms.compliance.models import ApiScope, ApiToken, WebhookSubscription
from tests.conftest import signed_in
from tests.factories import FirmFactory

from .api_factories import bearer, issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    return FirmFactory(name="阳光资产管理有限公司")


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def key_from(output: str) -> str:
    return output.strip().splitlines()[-1]


# --- The command -------------------------------------------------------------------------------


def test_the_command_prints_a_key_that_authenticates_and_stores_only_its_hash(client, firm):
    output = run("--firm", firm.credit_code, "--scope", "ratings:read", "--name", "Platform")

    key = key_from(output)
    assert "cannot be shown again" in output
    token = ApiToken.objects.get()
    assert token.name == "Platform" and token.scopes == ["ratings:read"]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix) and len(key) > 40
    stored = [str(value) for value in ApiToken.objects.values_list(flat=False).get()]
    assert not any(key in value for value in stored)
    assert output.count(key) == 1
    response = client.get("/api/v1/firm", **bearer(key))
    assert response.status_code == 200
    assert response.json()["credit_code"] == firm.credit_code


def test_the_command_takes_several_scopes_and_an_expiry(firm):
    output = run(
        "--firm",
        f" {firm.credit_code[:8]}-{firm.credit_code[8:]} ",
        "--scope",
        "collectors:read",
        "ratings:read",
        "--scope",
        "personal_data:read",
        "--expires-in-days",
        "30",
    )

    token = ApiToken.objects.get()
    assert token.scopes == sorted(["collectors:read", "ratings:read", "personal_data:read"])
    assert token.expires_at - timezone.now() == pytest.approx(
        timedelta(days=30), abs=timedelta(minutes=1)
    )
    assert "Expires: never" not in output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--firm", "91310000MA1FL0000X", "--scope", "ratings:read"], "No firm"),
        (["--scope", "ratings:write"], "Unknown scope ratings:write"),
        (["--scope", "ratings:read", "--expires-in-days", "0"], "at least 1"),
    ],
)
def test_the_command_refuses_bad_input(firm, args, message):
    if "--firm" not in args:
        args = ["--firm", firm.credit_code, *args]

    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    return signed_in(client, admin_user)


def test_an_administrator_creates_a_token_and_sees_its_key_once(admin_client, client, firm):
    response = admin_client.post(
        reverse("compliance_api_tokens:add"),
        {
            "firm": firm.pk,
            "name": "Collection platform",
            "scopes": [ApiScope.COLLECTORS_READ, ApiScope.RATINGS_READ],
            "expires_at": "",
        },
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    html = response.content.decode()
    key = html.split('id="shown-once-secret"')[1].split('value="')[1].split('"')[0]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.created_by.email == "admin@example.com"

    listing = admin_client.get(reverse("compliance_api_tokens:index")).content.decode()
    assert token.prefix in listing and "collectors:read" in listing
    assert key not in listing
    inspect = admin_client.get(reverse("compliance_api_tokens:inspect", args=[token.pk]))
    assert key not in inspect.content.decode()
    assert client.get("/api/v1/collectors", **bearer(key)).status_code == 200


def test_a_token_needs_a_scope_and_a_future_expiry(admin_client, firm):
    response = admin_client.post(
        reverse("compliance_api_tokens:add"),
        {"firm": firm.pk, "name": "x", "scopes": [], "expires_at": "2020-01-01 00:00"},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"scopes", "expires_at"}
    assert not ApiToken.objects.exists()


def test_an_administrator_revokes_a_token(admin_client, client, firm):
    token, key = issue_token(firm)
    url = reverse("compliance_api_tokens:revoke", args=[token.pk])

    assert admin_client.get(url).status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None  # GET only asks
    response = admin_client.post(url)

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/firm", **bearer(key)).status_code == 401
    listing = admin_client.get(reverse("compliance_api_tokens:index") + "?state=revoked")
    assert token.name in listing.content.decode()


def test_tokens_cannot_be_edited_and_other_staff_cannot_reach_them(client, trainer, firm):
    token, _key = issue_token(firm)
    signed_in(client, trainer)

    for name, args in [("index", []), ("add", []), ("revoke", [token.pk])]:
        response = client.get(reverse(f"compliance_api_tokens:{name}", args=args))
        assert response.status_code in (302, 403), name
    with pytest.raises(Exception, match="Reverse"):
        reverse("compliance_api_tokens:edit", args=[token.pk])


def test_a_subscription_shows_its_secret_once_and_can_rotate_it(admin_client, firm):
    response = admin_client.post(
        reverse("compliance_webhook_subscriptions:add"),
        {
            "firm": firm.pk,
            "url": "https://hooks.example.com/ssa",
            "events": ["rating.changed", "certificate.revoked"],
            "is_active": "on",
        },
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["rating.changed", "certificate.revoked"]
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    listing = admin_client.get(reverse("compliance_webhook_subscriptions:index"))
    assert subscription.secret not in listing.content.decode()

    old = subscription.secret
    rotated = admin_client.post(
        reverse("compliance_webhook_subscriptions:rotate", args=[subscription.pk])
    )
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in rotated.content.decode()


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/x", "http://127.0.0.1:8000/hook", "http://169.254.169.254/"]
)
def test_a_subscription_refuses_unsafe_urls(admin_client, firm, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    response = admin_client.post(
        reverse("compliance_webhook_subscriptions:add"),
        {"firm": firm.pk, "url": url, "events": ["rating.changed"], "is_active": "on"},
    )

    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not WebhookSubscription.objects.exists()
