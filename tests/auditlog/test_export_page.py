"""The firm managers' audit-log download (/firm/audit-log/): who gets in (every role), whose
bundle they get (their own firm's, masked; another firm's URL is a 404), and the record of it."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from lms.accounts.models import FirmKind, Membership
from lms.auditlog.checkpoints import take_checkpoint
from lms.auditlog.models import AuditEvent, Checkpoint
from lms.compliance.models import PersonalDataAccess
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.dashboard_factories import contract, make_manager
from tests.conftest import signed_in
from tests.factories import FirmFactory

from .export_builders import (
    A_PERSON,
    B_PERSON,
    Trail,
    beijing,
    build_trail,
    bundle_json,
    bundle_lines,
    bundle_text,
    record_at,
    run_verifier,
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
    """The trail, and the hourly checkpoint the beat task would have signed since."""
    built = build_trail(monkeypatch, DAY)
    take_checkpoint()
    return built


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
    checkpoints = Checkpoint.objects.count()
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
    assert "events of the last hour appear after the next hourly checkpoint" in page
    assert Checkpoint.objects.count() == checkpoints  # a download never signs one


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


# --- Downloads never sign a checkpoint (C2) -----------------------------------------------------


def test_before_the_first_checkpoint_the_page_says_so_and_signs_nothing(client, monkeypatch):
    trail = build_trail(monkeypatch, DAY)
    boss = make_manager("boss.a@agency.example", "赵经理", trail.firm_a)
    response = download(client, boss, trail.firm_a)
    assert response.status_code == 200
    assert "data-audit-export-no-checkpoint" in response.content.decode()
    assert "has not signed its first hourly checkpoint" in response.content.decode()
    assert not Checkpoint.objects.exists()
    assert not events_of("auditlog.exported")


def test_events_after_the_latest_checkpoint_wait_for_the_next_one(
    client, trail, boss, tmp_path, monkeypatch
):
    """Each download records an event no checkpoint covers: the next download must not sign
    one for it (one permanent checkpoint per click), and a later event of the firm is left out
    until the hourly task signs."""
    checkpoint = Checkpoint.objects.get()
    late = record_at(
        beijing(DAY, 23),
        monkeypatch,
        "membership.ended",
        firms=[trail.firm_a],
        persons=[trail.collector_a],
        subject=trail.collector_a,
        payload={"role": "collector"},
    )
    paths = []
    for name in ("first.zip", "second.zip"):
        response = download(client, boss, trail.firm_a)
        assert response.status_code == 200
        paths.append(tmp_path / name)
        paths[-1].write_bytes(b"".join(response.streaming_content))
    assert Checkpoint.objects.count() == 1
    for path in paths:
        assert run_verifier(path).returncode == 0
        assert bundle_json(path, "manifest.json")["last_seq"] == checkpoint.seq
        assert late not in [line["seq"] for line in bundle_lines(path)]
    assert len(events_of("auditlog.exported")) == 2

    take_checkpoint()  # the hourly task
    response = download(client, boss, trail.firm_a)
    path = tmp_path / "third.zip"
    path.write_bytes(b"".join(response.streaming_content))
    assert run_verifier(path).returncode == 0
    full = [line["seq"] for line in bundle_lines(path) if not line.get("redacted")]
    assert late in full


@override_settings(AUDIT_LOG_EXPORT_RATE="2/h")
def test_downloads_are_rate_limited_per_user(client, trail, boss):
    assert download(client, boss, trail.firm_a).status_code == 200
    assert download(client, boss, trail.firm_a).status_code == 200
    response = download(client, boss, trail.firm_a)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    html = response.content.decode()
    assert "data-audit-export-throttled" in html
    assert "You have downloaded many bundles in a short time. Please try again in" in html
    assert len(events_of("auditlog.exported")) == 2
    # Another manager of the same firm has a budget of their own.
    other = make_manager("boss2.a@agency.example", "钱经理", trail.firm_a)
    assert download(client, other, trail.firm_a).status_code == 200


def test_the_default_rate_is_ten_an_hour(settings):
    assert settings.AUDIT_LOG_EXPORT_RATE == "10/h"


# --- Far-off dates and NUL bytes (D4) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"start": "0001-01-01", "end": "0001-01-02"}, "Choose a date from 1970 on."),
        ({"start": "0001-01-01", "end": "2026-11-20"}, "Choose a date from 1970 on."),
        ({"start": "1969-12-31", "end": "1969-12-31"}, "Choose a date from 1970 on."),
        ({"start": "2026-11-20", "end": "9999-12-31"}, "The end date is in the future."),
        ({"start": "2026-11-20\x00", "end": "2026-11-20"}, "Enter a valid date."),
        ({"start": "2026-11-20", "end": "\x00"}, "Enter a valid date."),
    ],
)
def test_far_off_dates_and_nul_bytes_are_form_errors(client, trail, boss, data, error):
    response = download(client, boss, trail.firm_a, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not events_of("auditlog.exported")
