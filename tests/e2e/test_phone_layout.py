"""Manager and lender screens on a 360 px phone and a 1280 px desktop, and the header's height.

Issue 11's walk-through found tables squeezed into a phone (firm names one character per line,
the grade column cut off), a "has left" button that looked like a status, and a header taking
200 of 740 px, during exams too. These journeys check each fix in real Chromium and save
screenshots under ``var/screenshots/phone-layout/`` with fixed names (``roster-360.png``,
``roster-1280.png``, ...), so a run before and a run after a change can be compared file by file.

1. An agency's manager reads the roster, a collector's page and the staff list on both sizes:
   on the phone each row is a card led by the name, the grade, the certificate status and its
   expiry; on the desktop they are tables. On the phone they mark a collector as having left,
   through a confirmation naming them with their last day.
2. A lender's manager reads the contracted agency's staff (masked names, long firm names that
   wrap by words) and its findings, masked, on a phone and on a desktop.
3. The header is two slim rows on a phone, and one row with a menu while an exam attempt is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from exams.attempts import start_attempt
from lms.accounts.landing import landing_url
from lms.accounts.models import FirmKind, Membership, MembershipRole, User
from lms.compliance import recompute
from lms.lib.masking import mask_name
from tests.compliance.dashboard_factories import contract, make_collector
from tests.compliance.factories import make_finding
from tests.conftest import PASSWORD, make_user
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory, MembershipFactory

from .conftest import SCREENSHOT_ROOT, assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = SCREENSHOT_ROOT / "phone-layout"
AGENCY_NAME = "深圳市前海阳光诚信资产管理服务有限公司"
LENDER_NAME = "阳光消费金融股份有限公司"
PHONE_WIDTH, DESKTOP_WIDTH = 360, 1280
FINDING_TEXT = "晚上十点后多次致电债务人家属。"


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot named ``<name>-<viewport width>.png`` (comparable across runs)."""
    width = page.viewport_size["width"]
    path = SHOTS / f"{name}-{width}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def box(page: Page, selector: str) -> dict:
    handle = page.locator(selector).first
    expect(handle).to_be_visible()
    return handle.bounding_box()


def sign_in(page: Page, base: str, user: User) -> None:
    """Sign in and wait for the page the user's role lands on (managers: /firm/)."""
    page.goto(base + "/accounts/login/")
    log_in(page, user.email, PASSWORD)
    page.wait_for_url(base + landing_url(user))


@pytest.fixture
def agency_team(monkeypatch) -> Iterator[dict]:
    """An agency with a long name, its manager, and three collectors: two certified (one of
    them with several rating changes today), one not."""
    use_fast_pdf(monkeypatch)
    programme = make_programme().programme
    agency = FirmFactory(name=AGENCY_NAME)
    manager = make_user("wang.manager@example.com", "王经理")
    MembershipFactory(firm=agency, role=MembershipRole.MANAGER, user=manager)
    people = {
        "zhang": make_collector(agency, "张小三", phone="13800138001"),
        "ouyang": make_collector(agency, "欧阳小明", phone="13800138002"),
        "chen": make_collector(agency, "陈刚", phone="13800138003"),
    }
    for key in ("zhang", "ouyang"):
        issue_certificate(people[key], programme)
    make_finding(people["chen"], description=FINDING_TEXT)
    recompute.full()
    yield {"agency": agency, "manager": manager, "programme": programme, **people}


def assert_rows_are_cards(page: Page, table: str, title: str, aside: str) -> None:
    """On a phone: the header row hidden, each row a card as wide as the page, its title cell
    on one line with the aside (grade or status) beside it, inside the screen."""
    # The header row stays for screen readers, clipped to nothing on screen.
    head = page.locator(f"{table} thead").bounding_box()
    assert head["width"] <= 1 and head["height"] <= 1, head
    first_row = f"{table} tbody tr"
    card = box(page, first_row)
    assert card["width"] > PHONE_WIDTH * 0.8, card
    name, badge = box(page, f"{first_row} {title}"), box(page, f"{first_row} {aside}")
    assert name["height"] < 40, name  # one line, not one character per line
    assert abs(name["y"] - badge["y"]) < 12, (name, badge)  # side by side, first thing read
    assert badge["x"] + badge["width"] <= PHONE_WIDTH, badge  # not cut off


def test_an_agency_manager_reads_cards_on_a_phone_and_tables_on_a_desktop(
    live_server, phone_page: Page, desktop_page: Page, agency_team: dict
) -> None:
    base, zhang, chen = live_server.url, agency_team["zhang"], agency_team["chen"]
    for page in (phone_page, desktop_page):
        phone = page is phone_page
        sign_in(page, base, agency_team["manager"])

        # The roster: name, grade, certificate status and expiry first.
        page.goto(base + "/firm/")
        table = ".roster-table"
        expect(page.locator(f"{table} tbody tr")).to_have_count(3)
        headers = page.locator(f"{table} thead th").all_inner_texts()
        assert [text.strip() for text in headers[:3]] == ["名称", "合规评级", "证书"], headers
        row = page.locator(f"{table} tr[data-collector='{zhang.pk}']")
        expect(row.locator(".grade")).to_have_text("A")
        expect(row.locator("[data-cell=certificate] .status-valid")).to_be_visible()
        expires = timezone.localtime(zhang.rating.certificate_expires_at).date()
        expect(row.locator("[data-cell=certificate]")).to_contain_text(expires.isoformat())
        page.locator("#roster-heading").scroll_into_view_if_needed()
        shoot(page, "roster")
        if phone:
            assert_rows_are_cards(page, table, "th a", ".grade")
            # Every other cell says what it is.
            expect(row.locator("td[data-label='工号']")).to_be_visible()
            assert_fits_the_viewport(page)
        else:
            expect(page.locator(f"{table} thead")).to_be_visible()
            cells = row.locator("th, td")
            tops = {round(cells.nth(i).bounding_box()["y"]) for i in range(cells.count())}
            assert len(tops) == 1, tops  # one table row

        # A collector's page: the certificate table, and the rating history's axis labels.
        row.locator("th a").click()
        page.wait_for_url(base + f"/firm/collectors/{zhang.pk}/")
        certificates = ".certificate-table"
        expect(page.locator(f"{certificates} tbody tr")).to_have_count(1)
        labels = page.locator("svg:has(title#history-chart-title) text[text-anchor=middle]")
        texts = labels.all_text_contents()
        assert texts and len(texts) == len(set(texts)), texts
        page.locator("#certificates-heading").scroll_into_view_if_needed()
        shoot(page, "collector")
        if phone:
            assert_rows_are_cards(page, certificates, "th", ".status")
            expect(page.locator(f"{certificates} td[data-label='到期日期']")).to_be_visible()
            assert_fits_the_viewport(page)
        else:
            expect(page.locator(f"{certificates} thead")).to_be_visible()

        # The staff list: status is a label, "标记离职…" a link.
        page.goto(base + "/firm/staff/")
        member = page.locator("li[data-member]", has_text=chen.legal_name)
        expect(member.locator("[data-member-status=active]")).to_have_text("在职")
        assert member.locator("[data-member-status]").evaluate("(el) => el.tagName") == "SPAN"
        action = member.locator("a[data-action=end-membership]")
        expect(action).to_have_text("标记离职…")
        expect(page.get_by_role("button", name="已离职")).to_have_count(0)
        shoot(page, "staff")
        if phone:
            assert_fits_the_viewport(page)

    # On the phone: mark 陈刚 as having left, on a date before today.
    page = phone_page
    member = page.locator("li[data-member]", has_text=chen.legal_name)
    member.locator("a[data-action=end-membership]").click()
    page.wait_for_url(re.compile(r"/firm/staff/members/\d+/end/$"))
    expect(page.locator("h1")).to_contain_text(chen.legal_name)
    date_input = page.locator("input[name=left_on]")
    expect(date_input).to_have_value(timezone.localdate().isoformat())
    shoot(page, "mark-as-left")
    assert_fits_the_viewport(page)
    last_day = timezone.localdate() - timedelta(days=2)
    date_input.fill(last_day.isoformat())
    page.click("[data-end-membership] form[method=post] button[type=submit]")
    page.wait_for_url(base + "/firm/staff/")
    done = page.locator(".messages li.message-success")
    expect(done).to_contain_text(chen.legal_name)
    expect(page.locator("li[data-member]", has_text=chen.legal_name)).to_have_count(0)
    shoot(page, "staff-after-leaving")
    membership = Membership.objects.get(user=chen, role=MembershipRole.COLLECTOR)
    assert membership.active_to == last_day


def test_a_lender_reads_its_agencys_staff_and_findings_masked_on_a_phone(
    live_server, phone_page: Page, desktop_page: Page, agency_team: dict
) -> None:
    page, base = phone_page, live_server.url
    lender = FirmFactory(name=LENDER_NAME, kind=FirmKind.LENDER)
    contract(lender, agency_team["agency"], starts_on=timezone.localdate() - timedelta(days=60))
    boss = make_user("qian.boss@example.com", "钱总")
    MembershipFactory(firm=lender, role=MembershipRole.MANAGER, user=boss)
    outsider = make_collector(FirmFactory(name="无关催收有限公司"), "王五")
    unrelated = make_finding(outsider)
    sign_in(page, base, boss)

    page.goto(base + "/firm/")
    table = ".roster-table"
    expect(page.locator(f"{table} tbody tr")).to_have_count(3)
    zhang = page.locator(f"{table} tr[data-collector='{agency_team['zhang'].pk}']")
    expect(zhang.locator("th a")).to_have_text(mask_name("张小三"))
    firm_cell = zhang.locator("td[data-label='机构']")
    expect(firm_cell).to_contain_text(AGENCY_NAME)
    assert firm_cell.bounding_box()["height"] < 80  # wraps by words, not a character per line
    page.locator("#roster-heading").scroll_into_view_if_needed()
    shoot(page, "lender-roster")
    assert_rows_are_cards(page, table, "th a", ".grade")
    assert_fits_the_viewport(page)

    page.goto(base + "/firm/findings/")
    expect(page.locator("[data-agency-findings]")).to_be_visible()
    listed = page.locator("li[data-finding]")
    expect(listed).to_have_count(1)
    expect(listed.locator("[data-collector-name]")).to_have_text(mask_name("陈刚"))
    expect(listed).to_contain_text(AGENCY_NAME)
    expect(listed).not_to_contain_text(FINDING_TEXT)
    expect(listed.locator("a[href*='/appeal/']")).to_have_count(0)
    expect(page.locator(f"li[data-finding='{unrelated.pk}']")).to_have_count(0)
    shoot(page, "lender-findings")
    assert_fits_the_viewport(page)

    # The same pages in a desktop window: the roster is a table with a firm column.
    desk = desktop_page
    sign_in(desk, base, boss)
    desk.goto(base + "/firm/")
    expect(desk.locator(f"{table} thead")).to_be_visible()
    expect(desk.locator(f"{table} thead th", has_text="机构")).to_have_count(1)
    desk.locator("#roster-heading").scroll_into_view_if_needed()
    shoot(desk, "lender-roster")
    desk.goto(base + "/firm/findings/")
    expect(desk.locator("li[data-finding] [data-collector-name]")).to_have_text(mask_name("陈刚"))
    shoot(desk, "lender-findings")


def test_the_header_is_slim_on_a_phone_and_compact_during_an_exam(
    live_server, phone_page: Page, desktop_page: Page, agency_team: dict
) -> None:
    base, collector = live_server.url, agency_team["chen"]
    for page in (phone_page, desktop_page):
        sign_in(page, base, collector)
        header = box(page, ".site-header")
        if page is phone_page:
            assert header["height"] <= 110, header  # was about 200 of 740 px
            expect(page.locator(".nav-search")).to_be_hidden()
            expect(page.locator(".section-nav .nav-search-link")).to_be_visible()
        else:
            expect(page.locator(".nav-search input[type=search]")).to_be_visible()
            expect(page.locator(".nav-search-link")).to_be_hidden()
        shoot(page, "header")

    # An open attempt: one header row; the links are in a menu that opens without script.
    page = phone_page
    # The layout, not the gating, is under test here: the exam is open to anyone.
    exam = agency_team["programme"].final_exam
    exam.open_to_anyone = True
    exam.save(update_fields=["open_to_anyone"])
    attempt = start_attempt(collector, exam)
    page.goto(base + f"/exam-attempts/{attempt.pk}/")
    expect(page.locator("[data-attempt]")).to_be_visible()
    header = box(page, ".site-header")
    assert header["height"] <= 56, header
    menu_links = page.locator(".site-menu .section-nav a")
    expect(menu_links.first).to_be_hidden()
    assert box(page, ".attempt-bar")["y"] <= 70
    shoot(page, "exam-header")
    assert_fits_the_viewport(page)
    page.click(".site-menu summary")
    expect(page.locator(".site-menu .section-nav a[href='/certificates/']")).to_be_visible()
    expect(page.locator(".site-menu form[action='/accounts/logout/'] button")).to_be_visible()
    shoot(page, "exam-header-menu")
