"""A firm manager imports their staff list and reads the dashboard; an auditor's critical finding
reaches the manager's roster and the platform API.

1. The manager, on a phone, uploads a staff list of five people of which two rows are wrong (an
   email without "@", a ten-digit phone number). The preview marks those rows and nothing is
   imported, even when they try to confirm anyway; they download the error report (it lists the
   two rows), fix the file, upload it again and confirm: five invitations. Then the dashboard:
   the roster of the collectors who already work there, with the grades the rating engine
   computed, and the two charts (coverage over time, grade distribution).
2. An auditor, in a desktop window, signs in to the admin with password and TOTP code, records
   a critical finding against a collector (choosing them in the chooser modal) and confirms it
   with a note. The rating follows the finding (Celery runs eagerly in tests: the recompute
   runs once the confirmation commits): the manager, signed in on their own phone, sees the
   collector graded D, and so does the firm's API client.

Page elements are found by role, name, href and data attributes, not by copy, so the journeys
hold before and after the interface text is translated. Each step saves a screenshot under
var/screenshots/<test name>/ for a human to look over. ``serialized_rollback`` restores what the
data migrations created (the home page, the role groups and their permissions), which the
transactional test's flush would otherwise wipe.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lms.accounts.models import Firm, Invitation, MembershipRole, User
from lms.accounts.roles import Role
from lms.compliance import findings, recompute
from lms.compliance.models import (
    ApiScope,
    ApiToken,
    CollectorRating,
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    FirmRatingSnapshot,
    Severity,
)
from tests.compliance.factories import make_finding
from tests.conftest import PASSWORD, activate_totp, make_user
from tests.factories import FirmFactory, MembershipFactory

from .conftest import assert_fits_the_viewport, log_in

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Screenshot = Callable[[Page, str], Path]

FIRM_NAME = "阳光催收服务有限公司"
DASHBOARD_LINK = ".section-nav a[href='/firm/']"
UPLOAD_FORM = "form[enctype='multipart/form-data']"
CONFIRM_FORM = "form.import-confirm"
HEADERS = ["姓名", "邮箱", "手机号", "工号"]
# Five new people; rows 4 and 6 of the file (the header is row 1) are wrong as first typed.
STAFF = [
    ["赵一", "zhao.yi@example.com", "13800138001", "A101"],
    ["钱二", "qian.er@example.com", "13800138002", "A102"],
    ["孙三", "sun.san.example.com", "13800138003", "A103"],
    ["李四", "li.si@example.com", "+86 138-0013-8004", "A104"],
    ["周五", "zhou.wu@example.com", "1380013800", "A105"],
]
BAD_EMAIL_ROW, BAD_PHONE_ROW = 4, 6
# file row → (column, corrected value)
FIXES = {BAD_EMAIL_ROW: (1, "sun.san@example.com"), BAD_PHONE_ROW: (2, "13800138005")}
FINDING_TEXT = "上门催收时威胁债务人家属，录音为证。"
DECISION_NOTE = "录音清楚，情节严重，确认。"


# --- Set-up --------------------------------------------------------------------------------------


def firm_with_staff() -> tuple[Firm, User, list[User]]:
    """An admitted agency, its manager (the Firm managers group and a manager membership) and
    three collectors with employee numbers. Each new membership queues a recompute (eager)."""
    firm = FirmFactory(name=FIRM_NAME)
    manager = make_user("wang.manager@example.com", "王经理")
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    collectors = []
    for number, (email, name) in enumerate(
        [
            ("zhang.san@example.com", "张三"),
            ("li.na@example.com", "李娜"),
            ("chen.gang@example.com", "陈刚"),
        ],
        start=1,
    ):
        collector = make_user(email, name)
        MembershipFactory(firm=firm, user=collector, employee_number=f"C{number:03d}")
        collectors.append(collector)
    return firm, manager, collectors


def staff(email: str, legal_name: str, role: Role) -> User:
    user = make_user(email, legal_name, role)
    activate_totp(user)
    return user


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    """The list as Excel's "CSV UTF-8" saves it (with a byte-order mark)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def api_get(base_url: str, path: str, key: str) -> dict:
    request = urllib.request.Request(
        base_url + path, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.load(response)


def roster_row(page: Page, user: User):
    return page.locator(f".roster-table tr[data-collector='{user.pk}']")


def open_dashboard(page: Page, base_url: str) -> None:
    """The firm dashboard, through the main navigation's link (shown to firm managers)."""
    page.click(DASHBOARD_LINK)
    page.wait_for_url(base_url + "/firm/")
    expect(page.locator("body.page-firm-dashboard")).to_be_visible()


# --- Journey 1 -----------------------------------------------------------------------------------


def test_manager_imports_a_staff_list_fixes_the_errors_and_reads_the_dashboard(
    live_server, phone_page: Page, screenshot: Screenshot, tmp_path: Path, mailoutbox
) -> None:
    page, base = phone_page, live_server.url
    firm, manager, (zhang, li, chen) = firm_with_staff()
    # A confirmed major finding costs 李娜 15 points: two A and a B on the roster.
    findings.confirm(make_finding(li, severity=Severity.MAJOR), by=None, note="确认。")
    recompute.full()
    ratings = {rating.user_id: rating for rating in CollectorRating.objects.all()}
    assert {ratings[c.pk].grade for c in (zhang, chen)} == {"A"}
    assert ratings[li.pk].grade == "B", ratings[li.pk].score
    # Coverage was lower in earlier months (the engine records a snapshot each time it changes).
    now = timezone.now()
    for days_ago, share in ((300, "0.4000"), (150, "0.6000"), (35, "0.8000")):
        FirmRatingSnapshot.objects.create(
            firm=firm,
            active_collectors=5,
            certified_share=Decimal(share),
            formula_version="2026.1",
            created_at=now - timedelta(days=days_ago),
        )
    users_before = User.objects.count()
    mailoutbox.clear()

    # 1. Sign in; the main navigation links the firm dashboard, which links the staff pages.
    page.goto(base + "/accounts/login/")
    log_in(page, manager.email, PASSWORD)
    page.wait_for_url(base + "/firm/")  # managers land on their dashboard
    open_dashboard(page, base)
    page.click(".dashboard-links a[href='/firm/staff/']")
    page.wait_for_url(base + "/firm/staff/")
    expect(page.locator("li[data-member]")).to_have_count(4)  # the manager and three collectors
    screenshot(page, "staff")
    assert_fits_the_viewport(page)

    # 2. "Import a staff list": the upload form.
    page.click(".staff-actions a[href='/firm/staff/import/']")
    page.wait_for_url(base + "/firm/staff/import/")
    expect(page.locator(".staff-nav a[href='/firm/staff/import/']")).to_have_attribute(
        "aria-current", "page"
    )
    screenshot(page, "import-form")
    assert_fits_the_viewport(page)

    # 3. Upload the list as first typed: five rows, two of them wrong.
    first_try = write_csv(tmp_path / "员工名单.csv", STAFF)
    page.set_input_files(f"{UPLOAD_FORM} input[type=file][name=file]", str(first_try))
    page.click(f"{UPLOAD_FORM} button[type=submit]")
    page.wait_for_url(re.compile(r"/firm/staff/import/[\w-]+/$"))
    preview_url = page.url

    # 4. The preview: every row with its status; the wrong ones say what is wrong with them.
    expect(page.locator("[data-count=ok]")).to_have_text("3")
    expect(page.locator("[data-count=skip]")).to_have_text("0")
    expect(page.locator("[data-count=error]")).to_have_text("2")
    expect(page.locator("tr.import-row")).to_have_count(5)
    expect(page.locator("tr.import-row[data-status=error]")).to_have_count(2)
    bad_email = page.locator(f"tr.import-row[data-row='{BAD_EMAIL_ROW}']")
    bad_phone = page.locator(f"tr.import-row[data-row='{BAD_PHONE_ROW}']")
    expect(bad_email).to_have_attribute("data-status", "error")
    expect(bad_email.locator(".problem-error")).to_contain_text("sun.san.example.com")
    expect(bad_phone).to_have_attribute("data-status", "error")
    expect(bad_phone.locator(".problem-error")).to_contain_text("1380013800")
    for number in (2, 3, 5):
        expect(page.locator(f"tr.import-row[data-row='{number}']")).to_have_attribute(
            "data-status", "ok"
        )
    expect(page.locator("[role=alert]")).to_be_visible()
    screenshot(page, "preview-with-errors")
    assert_fits_the_viewport(page)
    assert not Invitation.objects.exists()
    assert User.objects.count() == users_before

    # 5. Confirming anyway (without "import only the valid rows") imports nothing.
    expect(
        page.locator(f"{CONFIRM_FORM} input[type=checkbox][name=only_valid]")
    ).not_to_be_checked()
    page.click(f"{CONFIRM_FORM} button[type=submit]")
    page.wait_for_url(preview_url)
    refused = page.locator(".messages li.message-error")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("2")  # "... 2 row(s) have errors ..."
    expect(page.locator("tr.import-row[data-status=error]")).to_have_count(2)
    screenshot(page, "confirm-refused")
    assert not Invitation.objects.exists()
    assert User.objects.count() == users_before
    assert not mailoutbox

    # 6. The error report: a CSV with the two rows, the column as the file names it, and why.
    with page.expect_download() as download_info:
        page.click("[role=alert] a[href$='/errors.csv']")
    download = download_info.value
    assert download.suggested_filename == "员工名单-errors.csv"
    report = Path(download.path()).read_text(encoding="utf-8-sig")
    header, *problems = list(csv.reader(io.StringIO(report)))
    assert len(header) == 3, header
    assert [(int(row), column) for row, column, _message in problems] == [
        (BAD_EMAIL_ROW, "邮箱"),
        (BAD_PHONE_ROW, "手机号"),
    ], problems
    assert "sun.san.example.com" in problems[0][2]
    assert "1380013800" in problems[1][2]

    # 7. Fix the two rows in the file and upload it again ("Upload another file").
    fixed_rows = [list(row) for row in STAFF]
    for file_row, (column, value) in FIXES.items():
        fixed_rows[file_row - 2][column] = value
    fixed = write_csv(tmp_path / "员工名单-已修正.csv", fixed_rows)
    page.click(f"{CONFIRM_FORM} a[href='/firm/staff/import/']")
    page.wait_for_url(base + "/firm/staff/import/")
    page.set_input_files(f"{UPLOAD_FORM} input[type=file][name=file]", str(fixed))
    page.click(f"{UPLOAD_FORM} button[type=submit]")
    page.wait_for_url(re.compile(r"/firm/staff/import/[\w-]+/$"))
    assert page.url != preview_url
    expect(page.locator("[data-count=ok]")).to_have_text("5")
    expect(page.locator("[data-count=error]")).to_have_text("0")
    expect(page.locator("tr.import-row[data-status=ok]")).to_have_count(5)
    expect(page.locator("[role=alert]")).to_have_count(0)
    expect(page.locator(f"{CONFIRM_FORM} input[name=only_valid]")).to_have_count(0)
    screenshot(page, "preview-fixed")
    assert_fits_the_viewport(page)

    # 8. Confirm: five invitations, the staff page lists them as invited, not joined yet.
    page.click(f"{CONFIRM_FORM} button[type=submit]")
    page.wait_for_url(base + "/firm/staff/")
    done = page.locator(".messages li.message-success")
    expect(done).to_have_count(1)
    expect(done).to_contain_text("5")  # "Invitations sent: 5. ..."
    emails = sorted(row[1] for row in fixed_rows)
    invited = page.locator("li[data-invitation]")
    expect(invited).to_have_count(5)
    assert sorted(invited.evaluate_all("(items) => items.map((li) => li.dataset.invitation)")) == (
        emails
    )
    screenshot(page, "imported")
    assert_fits_the_viewport(page)
    invitations = Invitation.objects.filter(firm=firm).order_by("email")
    assert [invitation.email for invitation in invitations] == emails
    assert all(
        invitation.is_open and invitation.invited_by == manager for invitation in invitations
    )
    li_si = invitations.get(email="li.si@example.com")
    assert (li_si.legal_name, li_si.phone, li_si.employee_number) == ("李四", "13800138004", "A104")
    assert invitations.get(email="zhou.wu@example.com").phone == "13800138005"
    assert User.objects.count() == users_before + 5  # accounts waiting for the invitees
    assert sorted(address for message in mailoutbox for address in message.to) == emails

    # 9. The dashboard: three active collectors (the invited have not joined), with their grades.
    open_dashboard(page, base)
    expect(page.locator(".dashboard-firm")).to_contain_text(FIRM_NAME)
    expect(page.locator("[data-stat=active]")).to_have_text("3")
    expect(page.locator(".roster-table tbody tr")).to_have_count(3)
    for collector in (zhang, li, chen):
        row = roster_row(page, collector)
        rating = ratings[collector.pk]
        expect(row.locator("th a")).to_have_text(collector.legal_name)
        expect(row.locator("th a")).to_have_attribute("href", f"/firm/collectors/{collector.pk}/")
        expect(row.locator(f".grade.grade-{rating.grade.lower()}")).to_have_text(rating.grade)
        expect(row.locator("td.number").first).to_contain_text(f"{rating.score:.1f}")
    expect(page.locator("[data-stat=mean-score]")).not_to_have_text("—")

    # 10. The charts: server-drawn SVG, coverage over time (a line through the snapshots) and
    # the grade distribution (A, B, C, D and "not rated": two A, one B).
    coverage = page.locator("svg.chart-line-chart:has(title#coverage-chart-title)")
    expect(coverage).to_be_visible()
    expect(coverage.locator("path.chart-line")).to_have_count(1)
    assert coverage.locator("circle.chart-marker").count() >= 10  # monthly from the oldest one
    grades = page.locator("svg.chart:has(title#grade-chart-title)")
    expect(grades).to_be_visible()
    expect(grades.locator("rect.chart-bar")).to_have_count(5)
    expect(grades.locator("rect.chart-bar.grade-a title")).to_have_text("A: 2")
    expect(grades.locator("rect.chart-bar.grade-b title")).to_have_text("B: 1")
    expect(grades.locator("rect.chart-bar.grade-d title")).to_have_text("D: 0")
    page.locator("#coverage-heading").scroll_into_view_if_needed()
    screenshot(page, "dashboard")
    assert_fits_the_viewport(page)


# --- Journey 2 -----------------------------------------------------------------------------------


def test_auditor_confirms_a_critical_finding_and_the_manager_and_the_api_see_grade_d(
    live_server, desktop_page: Page, phone_page: Page, screenshot: Screenshot, mailoutbox
) -> None:
    admin, phone, base = desktop_page, phone_page, live_server.url
    firm, manager, (zhang, li, chen) = firm_with_staff()
    auditor = staff("sun.auditor@example.com", "孙稽核", Role.AUDITOR)
    recompute.full()
    assert CollectorRating.objects.get(user=zhang).grade == "A"
    _token, key = ApiToken.issue(
        firm=firm, name="催收系统", scopes=[ApiScope.RATINGS_READ, ApiScope.COLLECTORS_READ]
    )
    assert api_get(base, f"/api/v1/collectors/{zhang.pk}", key)["grade"] == "A"

    # 1. The auditor opens the admin and signs in with password and TOTP code.
    admin.goto(base + "/admin/")
    admin.wait_for_url(re.compile(r"/accounts/login/\?next="))
    log_in(admin, auditor.email, PASSWORD, totp_user=auditor)
    admin.wait_for_url(base + "/admin/")
    screenshot(admin, "auditor-dashboard")

    # 2. Audit findings (the admin menu) → add.
    admin.click(".sidebar-main-menu a[href='/admin/findings/']")
    admin.wait_for_url(base + "/admin/findings/")
    admin.click("a[href='/admin/findings/new/']")
    admin.wait_for_url(base + "/admin/findings/new/")
    screenshot(admin, "finding-form")

    # 3. Choose the collector in the chooser modal: search by name, pick the result.
    admin.click("#id_collector-chooser .unchosen button[data-chooser-action-choose]")
    modal = admin.locator(".modal")
    search = modal.locator("form[data-chooser-modal-search] input[name=q]")
    expect(search).to_be_visible()
    expect(modal.locator("a[data-chooser-modal-choice]")).to_have_count(3)
    search.fill(zhang.legal_name)
    choice = modal.locator("a[data-chooser-modal-choice]")
    expect(choice).to_have_count(1)
    expect(choice).to_contain_text(zhang.email)
    # Not wait_for_function: its string predicate needs eval, which the admin's CSP refuses.
    expect(admin.locator(".modal").first).to_have_css("opacity", "1")
    screenshot(admin, "collector-chooser")
    choice.click()
    expect(modal).to_have_count(0)
    expect(admin.locator("#id_collector")).to_have_value(str(zhang.pk))
    expect(admin.locator("#id_collector-chooser [data-chooser-title]")).to_have_text(
        zhang.legal_name
    )

    # 4. The rest of the form: yesterday, field audit, threats, critical, what happened.
    yesterday = timezone.localdate() - timedelta(days=1)
    admin.fill("#id_occurred_on", yesterday.isoformat())
    picker = admin.locator(".xdsoft_datetimepicker")
    expect(picker).to_be_visible()
    admin.click("#id_description")  # clicking outside the date picker closes it
    expect(picker).to_be_hidden()
    admin.fill("#id_description", FINDING_TEXT)
    admin.select_option("#id_source", FindingSource.FIELD_AUDIT)
    admin.select_option("#id_category", FindingCategory.THREATS)
    admin.select_option("#id_severity", Severity.CRITICAL)
    screenshot(admin, "finding-filled-in")
    admin.click("footer button[type=submit]:not([name])")
    admin.wait_for_url(base + "/admin/findings/")
    finding = Finding.objects.get()
    assert (finding.collector, finding.firm, finding.occurred_on) == (zhang, firm, yesterday)
    assert (finding.severity, finding.status) == (Severity.CRITICAL, FindingStatus.OPEN)
    assert finding.recorded_by == auditor
    assert CollectorRating.objects.get(user=zhang).grade == "A"  # open findings do not count
    row = admin.locator("table.listing tbody tr", has=admin.locator(f"a[href*='/{finding.pk}/']"))
    expect(row).to_have_count(1)
    screenshot(admin, "finding-recorded")

    # 5. Confirm it with a note: the listing offers Confirm and Dismiss on the open finding's row.
    expect(row.locator(f"a[href='/admin/findings/dismiss/{finding.pk}/']")).to_be_visible()
    row.locator(f"a[href='/admin/findings/confirm/{finding.pk}/']").click()
    admin.wait_for_url(base + f"/admin/findings/confirm/{finding.pk}/")
    admin.fill("#id_note", DECISION_NOTE)
    screenshot(admin, "confirm-with-note")
    admin.click("main form[method=post] button[type=submit].button")
    admin.wait_for_url(base + f"/admin/findings/inspect/{finding.pk}/")
    screenshot(admin, "finding-confirmed")
    finding.refresh_from_db()
    assert (finding.status, finding.decided_by, finding.decision_note) == (
        FindingStatus.CONFIRMED,
        auditor,
        DECISION_NOTE,
    )
    assert [message.to for message in mailoutbox] == [[zhang.email]]

    # 6. The recompute ran once the confirmation committed: a critical finding caps at D.
    rating = CollectorRating.objects.get(user=zhang)
    assert rating.grade == "D", (rating.score, rating.components)
    assert {CollectorRating.objects.get(user=c).grade for c in (li, chen)} == {"A"}

    # 7. The manager, on their own phone, sees the collector graded D on the dashboard.
    phone.goto(base + "/accounts/login/")
    log_in(phone, manager.email, PASSWORD)
    phone.wait_for_url(base + "/firm/")
    open_dashboard(phone, base)
    row = roster_row(phone, zhang)
    expect(row.locator(".grade")).to_have_text("D")
    expect(row.locator(".grade")).to_have_class(re.compile(r"\bgrade-d\b"))
    expect(row.locator("td.number").first).to_contain_text(f"{rating.score:.1f}")
    for other in (li, chen):
        expect(roster_row(phone, other).locator(".grade")).to_have_text("A")
    expect(
        phone.locator("svg.chart:has(title#grade-chart-title) rect.chart-bar.grade-d title")
    ).to_have_text("D: 1")
    row.scroll_into_view_if_needed()
    screenshot(phone, "manager-sees-grade-d")
    assert_fits_the_viewport(phone)

    # 8. The collector's page lists the confirmed finding (not its description: that may hold
    # the debtor's personal data).
    row.locator("th a").click()
    phone.wait_for_url(base + f"/firm/collectors/{zhang.pk}/")
    listed = phone.locator(f"tr[data-finding='{finding.pk}']")
    expect(listed.locator("th")).to_have_text(yesterday.isoformat())
    expect(listed.locator(".severity.severity-critical")).to_be_visible()
    screenshot(phone, "manager-collector-page")
    assert_fits_the_viewport(phone)

    # 9. The firm's API client reads grade D too.
    detail = api_get(base, f"/api/v1/collectors/{zhang.pk}", key)
    assert detail["grade"] == "D", detail
    assert Decimal(str(detail["score"])) == rating.score
    assert detail["history"][0]["grade"] == "D"
    listing = api_get(base, "/api/v1/collectors?grade=D", key)
    assert [item["id"] for item in listing["results"]] == [zhang.pk]
