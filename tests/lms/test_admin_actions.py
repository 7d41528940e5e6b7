"""The shared object-action admin view (lms.lib.admin_actions), through HTTP, in each of its
uses: revoke a certificate, confirm/dismiss a finding, decide an appeal, change a firm's
status, revoke an API token, rotate a webhook secret, redeliver a webhook.

For each: who may not gets a 403 or Wagtail's redirect (and nothing changes), people without
admin access are sent to sign in, a POST without the required reason shows the form error and
changes nothing, and a valid POST acts, logs where it should and redirects with its message.
None of these screens is scoped to a firm (auditors and administrators act platform-wide), so
there is no cross-firm case: the object is looked up by its key alone, and an unknown key is a
404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from exams.certificates.models import CertificateStatus
from lms.accounts.models import FirmStatus
from lms.compliance import findings
from lms.compliance.models import FindingStatus, WebhookDelivery, WebhookSubscription
from tests.compliance.api_factories import issue_token
from tests.compliance.factories import make_finding
from tests.conftest import signed_in
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


# --- The objects -------------------------------------------------------------------------------


def a_certificate(collector):
    return issue_certificate(collector, make_programme().programme)


def an_open_finding(collector):
    return make_finding(collector)


def an_appealed_finding(collector):
    finding = make_finding(collector)
    findings.confirm(finding, by=None, note="确认")
    findings.appeal(finding, by=collector, grounds="当晚我在休假。")
    finding.refresh_from_db()
    return finding


def a_firm(collector):
    return FirmFactory()


def a_token(collector):
    token, _key = issue_token(FirmFactory())
    return token


def a_subscription(collector):
    return WebhookSubscription.objects.create(
        firm=FirmFactory(), url="https://hooks.example.com/ssa", events=["rating.changed"]
    )


def a_delivery(collector):
    subscription = a_subscription(collector)
    return WebhookDelivery.objects.create(
        subscription=subscription, event="rating.changed", payload={"id": "x"}, status="failed"
    )


# --- The uses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One use of the shared view: how to make its object, who may act, what to post, how to
    tell that it acted, and where it then leads."""

    url_name: str
    make: Callable[[Any], Any]
    actor: str
    data: dict[str, str]
    done: Callable[[Any], bool]
    message: Callable[[Any], str] | None
    location: Callable[[Any], str] | None
    required: str | None = None
    log_action: str | None = None
    denied: tuple[str, ...] = ("trainer", "reviewer")
    plain_403: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.url_name


def at(url_name: str) -> Callable[[Any], str]:
    return lambda obj: reverse(url_name, args=[obj.pk])


def the_redelivery(delivery) -> str:
    again = WebhookDelivery.objects.get(redelivery_of=delivery)
    return reverse("compliance_webhook_deliveries:inspect", args=[again.pk])


USES = [
    Use(
        "exams_certificates:revoke",
        a_certificate,
        actor="auditor",
        data={"reason": "稽核发现冒充律师催收"},
        required="reason",
        done=lambda c: c.status == CertificateStatus.REVOKED,
        message=lambda c: (
            _("Certificate %(serial)s has been revoked and its holder notified.")
            % {"serial": c.serial}
        ),
        location=at("exams_certificates:inspect"),
        plain_403=True,
    ),
    Use(
        "compliance_findings:confirm",
        an_open_finding,
        actor="auditor",
        data={"note": "录音证据确凿。"},
        required="note",
        done=lambda f: f.status == FindingStatus.CONFIRMED,
        message=lambda f: _("The finding is confirmed and the collector has been told."),
        location=at("compliance_findings:inspect"),
    ),
    Use(
        "compliance_findings:dismiss",
        an_open_finding,
        actor="auditor",
        data={"note": "非本人所为。"},
        required="note",
        done=lambda f: f.status == FindingStatus.DISMISSED,
        message=lambda f: _("The finding is dismissed."),
        location=at("compliance_findings:inspect"),
    ),
    Use(
        "compliance_findings:decide_appeal",
        an_appealed_finding,
        actor="auditor",
        data={"outcome": "upheld", "note": "考勤记录属实。"},
        required="note",
        done=lambda f: f.status == FindingStatus.DISMISSED,
        message=lambda f: _("The appeal is upheld: the finding is dismissed."),
        location=at("compliance_findings:inspect"),
    ),
    Use(
        "accounts_firms:change_status",
        a_firm,
        actor="admin_user",
        data={"status": FirmStatus.SUSPENDED, "reason": "评级连续两月为D。"},
        required="reason",
        done=lambda f: f.status == FirmStatus.SUSPENDED,
        message=lambda f: (
            _("%(firm)s is now %(status)s.") % {"firm": f, "status": f.get_status_display()}
        ),
        location=at("accounts_firms:edit"),
        denied=("trainer", "reviewer", "auditor"),
    ),
    Use(
        "compliance_api_tokens:revoke",
        a_token,
        actor="admin_user",
        data={},
        done=lambda t: t.revoked_at is not None,
        message=lambda t: _("API token “%(name)s” revoked.") % {"name": t},
        location=lambda t: reverse("compliance_api_tokens:index"),
        log_action="wagtail.apitoken.revoke",
        denied=("trainer", "reviewer", "auditor"),
    ),
    Use(
        "compliance_webhook_subscriptions:rotate",
        a_subscription,
        actor="admin_user",
        data={},
        done=lambda s: s.secret != s.extra_old_secret,
        message=None,  # the answer is the page showing the new secret once
        location=None,
        log_action="compliance.webhook.rotate_secret",
        denied=("trainer", "reviewer", "auditor"),
    ),
    Use(
        "compliance_webhook_deliveries:redeliver",
        a_delivery,
        actor="admin_user",
        data={},
        done=lambda d: d.redeliveries.exists(),
        message=lambda d: _("The event has been queued for delivery again."),
        location=the_redelivery,
        log_action="compliance.webhook.redeliver",
        denied=("trainer", "reviewer", "auditor"),
    ),
]

DENIED = [(use, role) for use in USES for role in use.denied]


def made(use: Use, collector):
    obj = use.make(collector)
    obj.extra_old_secret = getattr(obj, "secret", None)
    return obj


def fresh(obj):
    old_secret = obj.extra_old_secret
    obj.refresh_from_db()
    obj.extra_old_secret = old_secret
    return obj


def action_url(use: Use, obj) -> str:
    return reverse(use.url_name, args=[obj.pk])


# --- Tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("use", "role"), DENIED, ids=[f"{u}-{r}" for u, r in DENIED])
def test_staff_without_the_permission_are_turned_away_and_nothing_changes(
    request, client, collector, use, role
):
    obj = made(use, collector)
    signed_in(client, request.getfixturevalue(role))
    url = action_url(use, obj)

    for response in (client.get(url), client.post(url, use.data)):
        if use.plain_403:
            assert response.status_code == 403
        else:
            assert response.status_code in {302, 403}
            if response.status_code == 302:
                assert response["Location"] == reverse("wagtailadmin_home")

    assert not use.done(fresh(obj))


@pytest.mark.parametrize("use", USES, ids=str)
@pytest.mark.parametrize("role", ["collector", "manager"])
def test_people_without_admin_access_are_sent_to_sign_in(request, client, collector, use, role):
    obj = made(use, collector)
    client.force_login(request.getfixturevalue(role))
    url = action_url(use, obj)

    for response in (client.get(url), client.post(url, use.data)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.WAGTAILADMIN_LOGIN_URL))

    assert not use.done(fresh(obj))


@pytest.mark.parametrize("use", USES, ids=str)
def test_the_page_asks_first_and_an_unknown_object_is_a_404(request, client, collector, use):
    obj = made(use, collector)
    signed_in(client, request.getfixturevalue(use.actor))

    page = client.get(action_url(use, obj))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'method="post"' in html and 'type="submit"' in html
    assert not use.done(fresh(obj))
    assert client.get(reverse(use.url_name, args=[obj.pk + 10_000])).status_code == 404


@pytest.mark.parametrize("use", [use for use in USES if use.required], ids=str)
def test_a_post_without_the_reason_shows_the_error_and_changes_nothing(
    request, client, collector, use
):
    obj = made(use, collector)
    signed_in(client, request.getfixturevalue(use.actor))

    response = client.post(action_url(use, obj), {**use.data, use.required: "  "})

    assert response.status_code == 200
    assert use.required in response.context["form"].errors
    assert not use.done(fresh(obj))


@pytest.mark.parametrize("use", USES, ids=str)
def test_a_valid_post_acts_logs_and_redirects_with_the_message(
    request, client, collector, use, django_capture_on_commit_callbacks
):
    obj = made(use, collector)
    actor = request.getfixturevalue(use.actor)
    signed_in(client, actor)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(action_url(use, obj), use.data)

    assert use.done(fresh(obj))
    if use.location is None:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert obj.secret in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == use.location(obj)
        shown = [str(message) for message in get_messages(response.wsgi_request)]
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            expected = str(use.message(obj))
        assert any(expected in message for message in shown), (expected, shown)
    if use.log_action:
        entry = ModelLogEntry.objects.get(action=use.log_action)
        assert (entry.object_id, entry.user_id) == (str(obj.pk), actor.pk)


@pytest.mark.parametrize("use", USES, ids=str)
def test_the_actor_finds_the_action_in_the_listing(request, client, collector, use):
    obj = made(use, collector)
    signed_in(client, request.getfixturevalue(use.actor))
    index = reverse(use.url_name.split(":")[0] + ":index")

    listing = client.get(index).content.decode()

    assert action_url(use, obj) in listing


def test_a_finished_object_says_why_there_is_nothing_to_do(client, auditor, collector):
    finding = make_finding(collector)
    findings.dismiss(finding, by=auditor, note="不成立")
    signed_in(client, auditor)

    page = client.get(reverse("compliance_findings:confirm", args=[finding.pk])).content.decode()

    assert 'method="post"' not in page
    assert reverse("compliance_findings:inspect", args=[finding.pk]) in page
