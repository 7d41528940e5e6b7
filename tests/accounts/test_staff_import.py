"""Bulk import of staff from CSV or XLSX: preview, per-row errors, the error report, confirming."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from lms.accounts.models import Invitation, MembershipRole, User
from lms.accounts.onboarding import importing
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,phone,employee number\n"
GOOD_ROWS = [
    "张伟,zhang.wei@example.com,13800138001,A001",
    "王芳,wang.fang@example.com,+86 139 0013 8002,A002",
    "李娜,li.na@example.com,,A003",
]
BAD_EMAIL = "刘洋,liu.yang@example,13800138004,A004"
BAD_PHONE = "陈静,chen.jing@example.com,1234567,A005"


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def manager_client(client, manager, firm):
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    manager.preferred_language = "en"
    manager.save(update_fields=["preferred_language"])
    client.force_login(manager)
    return client


def csv_bytes(rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(rows) + "\n").encode(encoding)


def upload(client, data: bytes, name: str = "staff.csv"):
    return client.post(reverse("staff:import"), {"file": SimpleUploadedFile(name, data)})


def preview_of(client, data: bytes, name: str = "staff.csv"):
    """Upload, follow to the preview; returns (preview URL, preview response)."""
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:3000]
    url = response["Location"]
    return url, client.get(url)


def digest_of(response) -> str:
    return response.context["form"].initial["digest"]


def statuses(response) -> dict[int, str]:
    return {row.number: row.status for row in response.context["rows"]}


def confirm(client, url, preview, *, only_valid=False, capture=None):
    data = {"digest": digest_of(preview)}
    if only_valid:
        data["only_valid"] = "on"
    if capture is None:
        return client.post(url, data)
    with capture(execute=True):
        return client.post(url, data)


def test_two_bad_rows_show_their_errors_and_nothing_is_imported(manager_client):
    data = csv_bytes([GOOD_ROWS[0], BAD_EMAIL, GOOD_ROWS[1], BAD_PHONE])
    url, preview = preview_of(manager_client, data)
    assert preview.status_code == 200
    assert statuses(preview) == {2: "ok", 3: "error", 4: "ok", 5: "error"}
    html = preview.content.decode()
    assert "“liu.yang@example” is not a valid email address." in html
    assert "“1234567” is not a mainland China mobile number" in html
    assert preview.context["summary"].errors == 2

    response = confirm(manager_client, url, preview)
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert not Invitation.objects.exists()
    assert (
        not User.objects.filter(email__endswith="@example.com")
        .exclude(email="manager@example.com")
        .exists()
    )


def test_the_error_report_lists_row_column_and_message(manager_client):
    data = csv_bytes([GOOD_ROWS[0], BAD_EMAIL, BAD_PHONE], header="姓名,邮箱,手机号,工号\n")
    url, preview = preview_of(manager_client, data)
    response = manager_client.get(
        reverse("staff:import_errors", args=[url.rstrip("/").split("/")[-1]])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Row", "Column", "Message"]
    assert rows[1][:2] == ["3", "邮箱"] and "liu.yang@example" in rows[1][2]
    assert rows[2][:2] == ["4", "手机号"] and "1234567" in rows[2][2]
    assert len(rows) == 3


def test_import_only_the_valid_rows_when_the_manager_says_so(
    manager_client, firm, django_capture_on_commit_callbacks
):
    data = csv_bytes([GOOD_ROWS[0], BAD_EMAIL, GOOD_ROWS[1], BAD_PHONE])
    url, preview = preview_of(manager_client, data)
    response = confirm(
        manager_client, url, preview, only_valid=True, capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    invited = set(
        Invitation.objects.filter(firm=firm).values_list("email", "phone", "employee_number")
    )
    assert invited == {
        ("zhang.wei@example.com", "13800138001", "A001"),
        ("wang.fang@example.com", "13900138002", "A002"),
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "wang.fang@example.com",
        "zhang.wei@example.com",
    ]
    # The preview is used up: confirming again is a 404.
    assert manager_client.post(url, {"digest": digest_of(preview)}).status_code == 404


def test_a_fixed_file_imports_every_row(manager_client, firm, django_capture_on_commit_callbacks):
    url, preview = preview_of(manager_client, csv_bytes(GOOD_ROWS))
    assert set(statuses(preview).values()) == {"ok"}
    response = confirm(manager_client, url, preview, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Invitation.objects.filter(firm=firm).count() == 3
    assert len(mail.outbox) == 3
    created = User.objects.get(email="li.na@example.com")
    assert created.legal_name == "李娜" and not created.has_usable_password()


def test_an_xlsx_with_chinese_headers_and_numeric_phones(manager_client, firm):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "邮箱", "手机号", "工号", "部门"])
    sheet.append(["赵敏", "zhao.min@example.com", 13800138010, "X1", "催收一部"])
    sheet.append([None, None, None, None, None])  # blank rows are ignored
    sheet.append(["钱多", "qian.duo@example.com", 13800138011.0, 42, "催收二部"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    url, preview = preview_of(manager_client, buffer.getvalue(), "员工名单.xlsx")
    rows = preview.context["rows"]
    assert [(row.number, row.status) for row in rows] == [(2, "ok"), (4, "ok")]
    assert rows[0].values["phone"] == "13800138010"
    assert rows[1].values["phone"] == "13800138011"
    assert rows[1].values["employee_number"] == "42"
    assert preview.context["table"].ignored == ["部门"]
    assert confirm(manager_client, url, preview).status_code == 302
    assert Invitation.objects.filter(firm=firm).count() == 2


def test_a_gbk_csv_as_excel_saves_it_in_china(manager_client):
    data = csv_bytes(
        ["张伟,zhang.wei@example.com,13800138001,甲001"], "姓名,邮箱,手机号,工号\n", "gbk"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    _, preview = preview_of(manager_client, data)
    (row,) = preview.context["rows"]
    assert row.values == {
        "name": "张伟",
        "email": "zhang.wei@example.com",
        "phone": "13800138001",
        "employee_number": "甲001",
    }
    assert row.status == "ok"


def test_utf8_with_a_byte_order_mark_is_read_too():
    table = importing.read_upload("\ufeff姓名,邮箱\n张伟,z@example.com\n".encode(), "a.csv")
    assert table.headers == {"name": "姓名", "email": "邮箱"}
    assert table.rows == [(2, {"name": "张伟", "email": "z@example.com"})]


def test_duplicates_within_the_file_are_errors(manager_client):
    data = csv_bytes(
        [
            "张伟,zhang.wei@example.com,,A001",
            "张伟二,Zhang.Wei@example.com,,A009",
            "王芳,wang.fang@example.com,,A001",
            "李娜,,,A010",
        ]
    )
    _, preview = preview_of(manager_client, data)
    rows = {row.number: row for row in preview.context["rows"]}
    assert statuses(preview) == {2: "ok", 3: "error", 4: "error", 5: "error"}
    assert [p.code for p in rows[3].problems] == ["duplicate_email"]
    assert [p.code for p in rows[4].problems] == ["duplicate_employee_number"]
    assert "row 2" in rows[3].problems[0].message
    assert [p.code for p in rows[5].problems] == ["missing_email"]


def test_members_of_another_firm_are_errors_and_own_members_are_skipped(
    manager_client, firm, collector, other_collector
):
    MembershipFactory(firm=FirmFactory(name="别家公司"), user=collector)
    MembershipFactory(firm=firm, user=other_collector, employee_number="OWN-1")
    data = csv_bytes(
        [
            f"张三,{collector.email},,",
            f"李四,{other_collector.email},,",
            "新人,new.person@example.com,,OWN-1",
            "缺名,,13800138000,",
            ",noname@example.com,,",
        ]
    )
    url, preview = preview_of(manager_client, data)
    rows = {row.number: row for row in preview.context["rows"]}
    assert [p.code for p in rows[2].problems] == ["member_elsewhere"]
    assert rows[2].status == "error"
    assert [p.code for p in rows[3].problems] == ["already_member"]
    assert rows[3].status == "skip"
    assert [p.code for p in rows[4].problems] == ["employee_number_taken"]
    assert "missing_email" in [p.code for p in rows[5].problems]
    assert [p.code for p in rows[6].problems] == ["missing_name"]
    assert confirm(manager_client, url, preview, only_valid=True).status_code == 302
    assert not Invitation.objects.exists()  # no row was clean


def test_the_file_level_limits_and_missing_columns(manager_client, monkeypatch):
    too_big = csv_bytes(["张伟,zhang.wei@example.com,,"]) + b" " * importing.MAX_BYTES
    response = upload(manager_client, too_big)
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()

    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows = [f"人{i},p{i}@example.com,," for i in range(4)]
    response = upload(manager_client, csv_bytes(rows))
    assert "more than 3 rows" in response.content.decode()

    response = upload(manager_client, b"full name,phone\nA,13800138000\n")
    assert "Missing: Email" in response.content.decode()
    response = upload(manager_client, b"\x00\x01binary", "staff.xls")
    assert ".xls" in response.content.decode()
    response = upload(manager_client, b"PK\x03\x04not really a zip", "staff.xlsx")
    assert "not a readable Excel workbook" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_confirmation_must_match_the_previewed_file(manager_client):
    url, preview = preview_of(manager_client, csv_bytes(GOOD_ROWS))
    response = manager_client.post(url, {"digest": "0" * 64})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_a_manager_cannot_import_into_another_firm(manager_client, manager, firm, client):
    other = FirmFactory(name="别家公司")
    # A firm in the request is ignored: the import goes to the manager's own firm.
    response = manager_client.post(
        reverse("staff:import"),
        {"file": SimpleUploadedFile("s.csv", csv_bytes(GOOD_ROWS[:1])), "firm": other.pk},
    )
    url = response["Location"]
    preview = manager_client.get(url)
    assert confirm(manager_client, url, preview).status_code == 302
    assert list(Invitation.objects.values_list("firm_id", flat=True)) == [firm.pk]

    # A preview made for one firm cannot be confirmed by a manager of another.
    url, preview = preview_of(manager_client, csv_bytes(GOOD_ROWS[1:2]))
    membership = manager.memberships.get()
    membership.firm = other
    membership.save(update_fields=["firm"])
    assert manager_client.get(url).status_code == 404
    assert manager_client.post(url, {"digest": digest_of(preview)}).status_code == 404
    assert not Invitation.objects.filter(firm=other).exists()


def test_collectors_cannot_import(client, collector):
    client.force_login(collector)
    response = upload(client, csv_bytes(GOOD_ROWS))
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_the_error_report_does_not_let_a_header_or_message_run_as_a_formula():
    table = importing.Table(headers={"email": "=cmd|' /C calc'!A0"}, rows=[])
    problem = importing.Problem("invalid", "email", "-1+1 is not an email address.")
    rows = [importing.Row(number=2, values={}, problems=[problem])]
    text = importing.error_report(rows, table)
    assert text.startswith("\ufeff")
    rows_out = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows_out[1] == ["2", "'=cmd|' /C calc'!A0", "'-1+1 is not an email address."]
