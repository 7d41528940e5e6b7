"""A newcomer's first visit, on a phone: sign up, verify the email, log in, switch language, leave.

Each step saves a screenshot under var/screenshots/<test name>/ for a human to look over.

The tests run against ``live_server`` in another thread, so the database must be transactional;
``serialized_rollback`` restores what the data migrations created (the home page, the role
groups), which a transactional test's flush would otherwise wipe for the next test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo_account
from lms.accounts.models import User

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

EMAIL = "wang.collector@example.com"
LEGAL_NAME = "王小明"
PHONE = "13800138000"
PASSWORD = "Sunshine-Test-2026!"
SITE_NAME_ZH = "阳光学堂"
CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")

SIGNUP_FORM = "form[action='/accounts/signup/']"
LOGIN_FORM = "form[action='/accounts/login/']"
LOGOUT_BUTTON = ".site-header form[action='/accounts/logout/'] button[type=submit]"


def log_in(page: Page, email: str, password: str) -> None:
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click(f"{LOGIN_FORM} button[type=submit]")


def test_collector_signs_up_verifies_email_logs_in_switches_language_and_logs_out(
    live_server, phone_page: Page, screenshot: Screenshot, mailoutbox
) -> None:
    page = phone_page
    home = live_server.url + "/"

    # 1. The home page greets a Chinese-speaking visitor in Simplified Chinese.
    page.goto(home)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text(SITE_NAME_ZH)
    expect(page.locator("body")).to_contain_text(SITE_NAME_ZH)
    screenshot(page, "home-anonymous")

    # 2. Sign up from the header link.
    page.click(".site-header a[href='/accounts/signup/']")
    page.wait_for_url("**/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_email", EMAIL)
    page.fill("#id_legal_name", LEGAL_NAME)
    page.fill("#id_phone", PHONE)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot(page, "signup-filled")
    page.click(f"{SIGNUP_FORM} button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    screenshot(page, "verify-email-sent")

    user = User.objects.get(email=EMAIL)
    assert user.legal_name == LEGAL_NAME
    assert user.phone == PHONE

    # 3. One email, to the new address, with a link back to this server.
    assert len(mailoutbox) == 1, [message.subject for message in mailoutbox]
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    match = CONFIRM_LINK.search(message.body)
    assert match, f"no confirmation link in the email body:\n{message.body}"
    link = match.group(0)
    assert link.startswith(live_server.url), (link, live_server.url)
    page.goto(link)
    expect(page.locator("form[action*='confirm-email'] button[type=submit]")).to_be_visible()
    screenshot(page, "confirm-email")
    page.click("form[action*='confirm-email'] button[type=submit]")
    page.wait_for_load_state()

    # 4. Verified: log in unless allauth already did so on confirmation.
    logout_or_login = page.locator(f"{LOGOUT_BUTTON}, #id_login").first
    expect(logout_or_login).to_be_visible()
    if page.locator("#id_login").count():
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        screenshot(page, "login")
        log_in(page, EMAIL, PASSWORD)
    page.wait_for_url(home)

    # 5. Signed in, at home, still in Chinese.
    expect(page.locator(".nav-user")).to_have_text(LEGAL_NAME)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(LOGOUT_BUTTON)).to_be_visible()
    expect(page.locator("body")).to_contain_text(SITE_NAME_ZH)
    screenshot(page, "home-signed-in")

    # 6. Switch to English in the footer; the choice is saved on the profile.
    page.click("form.language-switcher button[name=language][value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".site-header .brand")).to_contain_text("Sunshine Academy")
    expect(page.locator("form.language-switcher button[value=en]")).to_have_attribute(
        "aria-current", "true"
    )
    screenshot(page, "home-english")
    assert User.objects.get(email=EMAIL).preferred_language == "en"

    # 7. Log out from the header: home again, signed out, and the language cookie keeps English.
    page.click(LOGOUT_BUTTON)
    login_link = page.locator(".site-header a[href='/accounts/login/']")
    expect(login_link).to_be_visible()
    expect(page).to_have_url(home)
    expect(page.locator(".nav-user")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "logged-out-english")


def test_demo_collector_logs_in_on_a_desktop_and_sees_their_name(
    live_server, desktop_page: Page, screenshot: Screenshot
) -> None:
    spec = DEMO_ACCOUNTS[0]
    ensure_demo_account(spec)
    page = desktop_page

    page.goto(live_server.url + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(page, "login")
    log_in(page, spec.email, DEMO_PASSWORD)
    page.wait_for_url(live_server.url + "/")

    expect(page.locator(".nav-user")).to_have_text(spec.legal_name)
    assert spec.legal_name == "张三"
    expect(page.locator(LOGOUT_BUTTON)).to_be_visible()
    screenshot(page, "home-signed-in")
