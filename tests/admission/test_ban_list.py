"""The ban list: banned firms with credit code, category, date and the two people, for platform
staff who may view firms; filter by category, search by name or code."""

from __future__ import annotations

from django.urls import reverse

from lms.accounts.models import BanCategory, FirmStatus
from tests.conftest import signed_in
from tests.factories import FirmFactory


def ban(firm, category, by, second) -> None:
    firm.change_status(
        FirmStatus.BANNED, by=by, reason="理由", confirmed_by=second, category=category
    )


def test_banned_firms_are_listed_with_category_date_and_both_people(
    client, admission_reviewer, second_admission_reviewer, auditor
):
    violent = FirmFactory(name="暴力催收公司")
    fraud = FirmFactory(name="伪造材料公司")
    FirmFactory(name="正常公司")
    FirmFactory(name="暂停公司", status=FirmStatus.SUSPENDED)
    ban(violent, BanCategory.VIOLENT_COLLECTION, admission_reviewer, second_admission_reviewer)
    ban(fraud, BanCategory.FRAUD, admission_reviewer, second_admission_reviewer)

    for person in (admission_reviewer, auditor):
        client.logout()
        signed_in(client, person)
        html = client.get(reverse("admission_ban_list:index")).content.decode()
        assert "暴力催收公司" in html and "伪造材料公司" in html
        assert "正常公司" not in html and "暂停公司" not in html
        assert violent.credit_code in html
        assert "暴力或威胁催收" in html
        assert admission_reviewer.legal_name in html
        assert second_admission_reviewer.legal_name in html
        # A row leads to the firm's own page; the list offers no edit or delete.
        assert reverse("accounts_firms:inspect", args=[violent.pk]) in html
        assert "/edit/" not in html.split("<tbody")[1].split("</tbody>")[0]

    url = reverse("admission_ban_list:index")
    filtered = client.get(url, {"ban_category": BanCategory.FRAUD}).content.decode()
    assert "伪造材料公司" in filtered and "暴力催收公司" not in filtered
    found = client.get(url, {"q": violent.credit_code}).content.decode()
    assert "暴力催收公司" in found and "伪造材料公司" not in found


def test_the_ban_list_has_no_add_or_edit_pages(client, admission_reviewer):
    signed_in(client, admission_reviewer)
    assert client.get("/admin/admission/ban-list/new/").status_code == 404


def test_trainers_do_not_see_the_ban_list(client, trainer):
    signed_in(client, trainer)
    assert client.get(reverse("admission_ban_list:index")).status_code in {302, 403}
