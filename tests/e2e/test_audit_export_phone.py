"""A firm manager downloads the firm's audit log on a 360 px phone: from the dashboard's link to
the form (nothing sticks out sideways), a day with nothing recorded says so, then the bundle
downloads and the standalone verifier accepts it in a subprocess."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from lms.auditlog.checkpoints import take_checkpoint
from tests.auditlog.export_builders import (
    A_PERSON,
    build_trail,
    bundle_json,
    bundle_text,
    run_verifier,
)
from tests.compliance.dashboard_factories import make_manager

from .conftest import assert_fits_the_viewport
from .test_phone_layout import PHONE_WIDTH, shoot, sign_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DAY = dt.date(2026, 11, 20)


def test_a_manager_downloads_a_verifiable_bundle_on_a_phone(
    live_server, phone_page: Page, monkeypatch, tmp_path
):
    trail = build_trail(monkeypatch, DAY)
    take_checkpoint()  # the hourly task: a manager's download never signs one
    boss = make_manager("boss.phone@agency.example", "赵经理", trail.firm_a)
    page, base = phone_page, live_server.url
    sign_in(page, base, boss)

    page.goto(base + "/firm/")
    page.locator(".dashboard-links a[href='/firm/audit-log/']").click()
    page.wait_for_url(base + "/firm/audit-log/")
    expect(page.locator("h1")).to_have_text("Audit log export")
    assert_fits_the_viewport(page)
    assert page.viewport_size["width"] == PHONE_WIDTH
    shoot(page, "audit-log-export")

    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-02")
    page.locator("[data-audit-export] button[type=submit]").click()
    expect(page.locator("[data-audit-export-empty]")).to_be_visible()
    assert_fits_the_viewport(page)

    page.fill("#id_start", DAY.isoformat())
    page.fill("#id_end", DAY.isoformat())
    with page.expect_download() as info:
        page.locator("[data-audit-export] button[type=submit]").click()
    download = info.value
    assert download.suggested_filename == (
        f"audit-log-{trail.firm_a.credit_code}-2026-11-20-2026-11-20.zip"
    )
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    done = run_verifier(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert bundle_json(path, "manifest.json")["masked"] is True
    assert A_PERSON not in bundle_text(path)

    page.goto(base + "/firm/audit-log/")
    expect(page.locator("[data-recent-exports] li")).to_have_count(1)
    assert_fits_the_viewport(page)
    shoot(page, "audit-log-export-done")
