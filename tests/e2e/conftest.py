"""Browser journeys: Playwright's sync API driving Debian's Chromium against ``live_server``.

No browser is downloaded: the tests use the system Chromium (``/usr/bin/chromium`` or
``$CHROMIUM_PATH``) and skip without it, unless ``REQUIRE_BROWSER=1`` (CI) makes that a failure.

Playwright's sync API parks a running asyncio loop in the test thread. Two consequences:

* Django's ORM refuses to run there unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set (below).
* Django keeps connections in a thread-critical ``asgiref.local.Local``, which switches storage
  while a loop is running, so the test thread then gets *new* connection wrappers. Those lack the
  ``_test_serialized_contents`` that ``django_db_setup`` stored on the originals, and
  ``serialized_rollback`` would silently restore nothing once an earlier test had set the
  database up: the home page and role groups from the data migrations would be gone after the
  first flush. The ``browser`` fixture hands the contents over.

On SQLite the test database is a file (``django_db_modify_db_settings`` in tests/conftest.py), so
each live-server thread opens a connection of its own rather than sharing the test thread's
in-memory one, which is unsafe under the browser's parallel requests.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer
    from pytest_django.plugin import DjangoDbBlocker

    from lms.accounts.models import User

# Playwright's sync API runs an event loop in the test thread; Django's ORM would otherwise
# refuse to be called from it ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

E2E_DIR = Path(__file__).resolve().parent
SCREENSHOT_ROOT = E2E_DIR.parent.parent / "var" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_TIMEOUT_MS = 10_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is a browser journey."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """One headless Chromium for all the browser journeys.

    Package-scoped rather than session-scoped: while it lives, Playwright's event loop counts as
    running in the main thread, which would break any later non-browser test that uses
    ``async_to_sync`` or ``asyncio.run``. pytest-django keeps these transactional tests together,
    so the browser still starts once.
    """
    executable = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not Path(executable).is_file():
        message = (
            f"Chromium not found at {executable}; apt-get install chromium "
            "(make test in CI installs it)"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)

    # The test database must exist before Playwright's loop starts; see the module docstring.
    request.getfixturevalue("django_db_setup")
    _warm_up(request.getfixturevalue("live_server"), request.getfixturevalue("django_db_blocker"))
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    from django.db import connections

    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        # From here on the test thread sees other connection wrappers (see module docstring).
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def _warm_up(live_server: LiveServer, django_db_blocker: DjangoDbBlocker) -> None:
    """Serve one page before any journey starts its clock.

    A new server's first request imports every URLconf and view module and compiles the base
    templates: seconds of CPU on a busy machine, which made the first journey's first
    ``page.goto`` exceed its navigation timeout. A journey should time pages, not start-up.

    Any answer will do, an error page included: this runs before the first journey restores
    the database's serialized contents, so a transactional test that ran earlier may have
    flushed rows the page reads (the ``django.contrib.sites`` row: a 500 here). The imports and
    templates are loaded all the same.
    """
    with django_db_blocker.unblock():
        try:
            urllib.request.urlopen(live_server.url + "/accounts/login/", timeout=120).read()
        except urllib.error.HTTPError as error:
            error.read()


# Reports every Content-Security-Policy violation in every frame to the test (see watch_csp).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
    const report = [
        event.effectiveDirective, event.blockedURI || "(inline)",
        event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : "", event.sample || "",
    ].join(" ");
    if (window.__reportCSPViolation) {
        window.__reportCSPViolation(document.location.href, report);
    }
});
"""


class CSPViolations(list[str]):
    """The CSP violations Chromium reported in the test's browser contexts."""

    def watch(self, context: BrowserContext) -> BrowserContext:
        """Collect violations from every page (and frame) of ``context`` from now on.

        Two sources, because neither sees everything: the page's ``securitypolicyviolation``
        events (blocked inline scripts, styles, frames, images), and Chromium's console errors
        (which also cover blocked ``eval`` and violations before the listener ran).
        """
        context.expose_binding(
            "__reportCSPViolation", lambda source, url, report: self.append(f"{url}: {report}")
        )
        context.add_init_script(CSP_LISTENER)
        context.on("page", self._watch_console)
        return context

    def _watch_console(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                self.append(f"{page.url}: console: {message.text}")

        page.on("console", on_console)


@pytest.fixture
def csp_violations() -> Iterator[CSPViolations]:
    """Fails the journey if any page it opened broke the Content-Security-Policy.

    The site runs with its real policy in tests (lms/settings/base.py); a violation means a
    script, style or frame did not run for the user, so it is a failure, not a warning. A
    journey opening a browser context of its own passes it to ``csp_violations.watch``.
    """
    violations = CSPViolations()
    yield violations
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(
        dict.fromkeys(violations)
    )


def _new_page(
    browser: Browser, violations: CSPViolations, **context_options: object
) -> Generator[Page]:
    context = violations.watch(browser.new_context(**context_options))
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


PHONE: dict[str, object] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
}


@pytest.fixture
def phone_page(browser: Browser, csp_violations: CSPViolations) -> Iterator[Page]:
    """A page in a 360x740 touch phone, the browser asking for Simplified Chinese."""
    yield from _new_page(browser, csp_violations, **PHONE)


@pytest.fixture
def another_phone(browser: Browser, csp_violations: CSPViolations) -> Iterator[Callable[[], Page]]:
    """``another_phone()`` opens a page in one more phone like ``phone_page``'s (its own
    browser context: other cookies, another person), watched for CSP violations and closed
    at the end of the test."""
    opened: list[Generator[Page]] = []

    def open_one() -> Page:
        pages = _new_page(browser, csp_violations, **PHONE)
        opened.append(pages)
        return next(pages)

    yield open_one
    for pages in opened:
        pages.close()


@pytest.fixture
def desktop_page(browser: Browser, csp_violations: CSPViolations) -> Iterator[Page]:
    """A page in a 1280x800 desktop window, the browser asking for Simplified Chinese."""
    yield from _new_page(
        browser, csp_violations, viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, "step")`` saves var/screenshots/<test>/<NN>-<step>.png (full page).

    In CSS pixels (``scale="css"``), not the phone's device pixels: a 30-question exam page is
    about 15,000 CSS pixels tall, and at device scale 2 the image had four times the pixels
    (720 x 30,000), which a loaded machine could not render and encode within the timeout.
    """
    folder = SCREENSHOT_ROOT / re.sub(r"[^\w.-]+", "_", request.node.name)
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    counter = 0

    def take(page: Page, step: str) -> Path:
        nonlocal counter
        counter += 1
        path = folder / f"{counter:02d}-{re.sub(r'[^\w.-]+', '-', step)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, scale="css")
        return path

    return take


LOGIN_FORM = "form[action='/accounts/login/']"
MFA_FORM = "form[action='/accounts/2fa/authenticate/']"
LOGOUT_BUTTON = ".site-header form[action='/accounts/logout/'] button[type=submit]"


def log_in(page: Page, email: str, password: str, totp_user: User | None = None) -> None:
    """Sign in through allauth's form on the current page (/accounts/login/).

    For staff, pass ``totp_user``: the second step asks for the code their authenticator app
    would show, computed here from the stored secret. Each code works once per user.
    """
    from tests.conftest import totp_code

    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click(f"{LOGIN_FORM} button[type=submit]")
    if totp_user is not None:
        page.wait_for_url("**/accounts/2fa/authenticate/**")
        _wait_for_a_fresh_totp_window()
        page.fill("#id_code", totp_code(totp_user))
        # The step's "Cancel" button also sits in this form but submits the logout form.
        page.click(f"{MFA_FORM} button[type=submit]:not([form])")
    page.wait_for_load_state()


def _wait_for_a_fresh_totp_window(margin: float = 3.0) -> None:
    """Like a person who sees the code about to change: wait for the next one.

    allauth accepts only the current time step (``MFA_TOTP_TOLERANCE`` 0), so a code typed in the
    last moment of its window would be refused by the time the form reaches the server.
    """
    from allauth.mfa import app_settings

    remaining = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if remaining < margin:
        time.sleep(remaining + 0.1)


def log_out(page: Page) -> None:
    """Sign out with the header's logout button, as a user would."""
    page.click(LOGOUT_BUTTON)
    expect(page.locator(".site-header a[href='/accounts/login/']")).to_be_visible()


def assert_fits_the_viewport(page: Page) -> None:
    """Nothing sticks out sideways: a phone user should never have to scroll horizontally."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > width + 1)
                .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
            const scrollWidth = document.documentElement.scrollWidth;
            return {width, scrollWidth, wide: wide.slice(0, 5)};
        }"""
    )
    assert overflow["scrollWidth"] <= overflow["width"], overflow
