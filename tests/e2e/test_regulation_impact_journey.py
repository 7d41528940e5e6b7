"""A trainer on a 360 px phone opens 法规变更影响 from the admin menu, reads a superseded
article's old and new text one above the other with the changed characters marked, and follows
the edit link of an affected question. Screenshots under var/screenshots/<test name>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.accounts.roles import Role
from tests.certificates.impact_factories import make_world
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.exams.certificate_factories import use_fast_pdf
from tests.factories import UserFactory

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_trainer_reads_the_impact_of_a_change_on_a_phone(
    live_server, monkeypatch, phone_page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    use_fast_pdf(monkeypatch)
    world = make_world(UserFactory.create_batch(1))
    trainer = make_user("chen.trainer@example.com", "陈老师", Role.TRAINER)
    activate_totp(trainer)
    base = live_server.url
    page = phone_page

    page.goto(base + "/admin/regulation-impact/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(page, trainer.email, PASSWORD, totp_user=trainer)
    page.wait_for_url(base + "/admin/regulation-impact/")
    expect(page.get_by_role("heading", name="法规变更影响")).to_be_visible()
    assert_fits_the_viewport(page)
    screenshot(page, "changes")

    page.locator(f"a[href='/admin/regulation-impact/{world.change.pk}/']").click()
    page.wait_for_url(re.compile(r"/admin/regulation-impact/\d+/$"))
    old, new = page.locator(".law-impact__text").all()
    expect(old.locator("del").first).to_be_visible()
    expect(new.locator("ins").first).to_be_visible()
    # Stacked on a phone: the new text starts below the old one.
    assert new.bounding_box()["y"] > old.bounding_box()["y"] + old.bounding_box()["height"] - 1
    assert_fits_the_viewport(page)
    screenshot(page, "change")

    page.get_by_role("link", name=world.questions[0].name).click()
    page.wait_for_url(re.compile(rf"/admin/questions/edit/{world.questions[0].pk}/"))
    screenshot(page, "question-editor")
