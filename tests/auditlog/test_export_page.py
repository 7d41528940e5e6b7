"""The firm managers' audit-log download (/firm/audit-log/): who gets in (every role), whose
bundle they get (their own firm's, masked; another firm's URL is a 404), and the record of it."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lms.accounts.models import FirmKind, Membership
from lms.auditlog.models import AuditEvent
from lms.compliance.models import PersonalDataAccess
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.dashboard_factories import contract, make_manager
from tests.conftest import signed_in
from tests.factories import FirmFactory

from .export_builders import (
    A_PERSON,
    B_PERSON,
    Trail,
    build_trail,
    bundle_json,
    bundle_text,
    run_verifier,
    tamper_with,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)
PAGE = reverse("dashboard:audit_log")
FORM = {"start": "2026-11-20", "end": "2026-11-20"}


def bundle_url(firm) -> str:
    return reverse("dashboard:audit_log_bundle", args=[firm.pk])


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def trail(monkeypatch) -> Trail:
    return build_trail(monkeypatch, DAY)


@pytest.fixture
def boss(trail):
    return make_manager("boss.a@agency.example", "赵经理", trail.firm_a)


def download(client, user, firm, data=FORM):
    client.force_login(user)
    return client.post(bundle_url(firm), data)


# --- Who gets in --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, trail):
    for response in (client.get(PAGE), client.post(bundle_url(trail.firm_a), FORM)):
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    assert not events_of("auditlog.exported")


def test_collectors_get_403(client, trail):
    client.force_login(trail.collector_a)
    assert client.get(PAGE).status_code == 403
    assert client.post(bundle_url(trail.firm_a), FORM).status_code == 403


def test_the_manager_role_without_a_current_firm_gets_403(client, manager, trail):
    client.force_login(manager)
    assert client.get(PAGE).status_code == 403
    assert client.post(bundle_url(trail.firm_a), FORM).status_code == 403


def test_a_manager_whose_membership_ended_gets_403(client, trail, boss):
    membership = Membership.objects.get(user=boss)
    membership.active_from = timezone.localdate() - timedelta(days=10)
    membership.save()
    membership.end(timezone.localdate() - timedelta(days=1))
    client.force_login(boss)
    assert client.get(PAGE).status_code == 403
    assert client.post(bundle_url(trail.firm_a), FORM).status_code == 403


@pytest.mark.parametrize(
    "persona", ["auditor", "trainer", "reviewer", "admission_reviewer", "admin_user"]
)
def test_platform_staff_who_are_not_managers_get_403(client, request, trail, persona):
    """Staff export unmasked bundles with the command; this page is the firm's own."""
    signed_in(client, request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == 403
    assert client.post(bundle_url(trail.firm_a), FORM).status_code == 403
    assert not events_of("auditlog.exported")


def test_the_bundle_is_a_post(client, trail, boss):
    client.force_login(boss)
    assert client.get(bundle_url(trail.firm_a), FORM).status_code == 405


# --- The manager's own firm ---------------------------------------------------------------------


def test_a_manager_sees_the_form_not_cached(client, trail, boss):
    client.force_login(boss)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{bundle_url(trail.firm_a)}"' in html
    assert 'type="date"' in html
    assert "no-store" in response["Cache-Control"]
    assert "Audit log export" in client.get(reverse("dashboard:roster")).content.decode()


def test_a_manager_downloads_their_firms_masked_bundle_and_it_verifies(
    client, trail, boss, tmp_path
):
    response = download(client, boss, trail.firm_a)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    name = f"audit-log-{trail.firm_a.credit_code}-2026-11-20-2026-11-20.zip"
    assert f'attachment; filename="{name}"' == response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    path = tmp_path / name
    path.write_bytes(b"".join(response.streaming_content))
    done = run_verifier(path)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = bundle_json(path, "manifest.json")
    assert manifest["masked"] is True
    assert manifest["firm"]["id"] == trail.firm_a.pk
    assert A_PERSON not in bundle_text(path)
    assert B_PERSON not in bundle_text(path)

    event = one_event("auditlog.exported", actor_kind="user", actor_id=str(boss.pk))
    assert event.payload["masked"] is True
    assert event.payload["events"] == len(trail.a_seqs)
    assert event.firms == [{"id": trail.firm_a.pk, "code": trail.firm_a.credit_code}]
    assert not PersonalDataAccess.objects.exists()

    # The page lists the export (when, which days, masked, the digest's start).
    page = client.get(PAGE).content.decode()
    assert event.payload["sha256"][:16] in page


def test_another_firms_bundle_is_a_404(client, trail, boss):
    assert download(client, boss, trail.firm_b).status_code == 404
    response = client.post("/firm/audit-log/999999/bundle.zip", FORM)
    assert response.status_code == 404
    assert not events_of("auditlog.exported")


def test_a_lenders_manager_cannot_download_a_contracted_agencys_bundle(client, trail):
    lender = FirmFactory(name="阳光消费金融股份有限公司", kind=FirmKind.LENDER)
    contract(lender, trail.firm_a, starts_on=timezone.localdate() - timedelta(days=30))
    lender_boss = make_manager("boss@lender.example", "钱经理", lender)
    assert download(client, lender_boss, trail.firm_a).status_code == 404
    assert not events_of("auditlog.exported")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"start": "2026-11-21", "end": "2026-11-20"}, "The end date is before the start date."),
        ({"start": "2026-11-20", "end": "2999-01-01"}, "The end date is in the future."),
        ({"start": "2024-01-01", "end": "2026-11-20"}, "Choose at most 366 days at a time."),
        ({"start": "yesterday", "end": "2026-11-20"}, "Enter a valid date."),
    ],
)
def test_bad_dates_redisplay_the_form_and_record_nothing(client, trail, boss, data, error):
    response = download(client, boss, trail.firm_a, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not events_of("auditlog.exported")


def test_days_without_events_say_so_and_record_nothing(client, trail, boss):
    before = AuditEvent.objects.count()
    response = download(client, boss, trail.firm_a, {"start": "2026-11-01", "end": "2026-11-02"})
    assert response.status_code == 200
    assert "data-audit-export-empty" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_a_chain_that_does_not_verify_is_not_handed_out(client, trail, boss):
    tamper_with(trail.a_seqs[1])
    response = download(client, boss, trail.firm_a)
    assert response.status_code == 503
    assert "data-audit-export-unavailable" in response.content.decode()
    assert not events_of("auditlog.exported")
