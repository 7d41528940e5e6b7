"""Partner firms in the admin: credit codes, status decisions, contracts, memberships."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lms.accounts.models import Contract, Firm, FirmKind, FirmStatus, Membership, MembershipRole
from lms.accounts.onboarding import memberships
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory, credit_code

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.preferred_language = "en"
    admin_user.save(update_fields=["preferred_language"])
    return signed_in(client, admin_user)


# --- Credit codes --------------------------------------------------------------------------------


def test_a_valid_credit_code_passes_and_a_wrong_check_character_is_named_in_the_error():
    code = credit_code(4242)
    Firm(name="阳光催收", credit_code=code, kind=FirmKind.AGENCY).full_clean()

    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            Firm(name="阳光催收", credit_code=wrong, kind=FirmKind.AGENCY).full_clean()
        message = " ".join(error.value.message_dict["credit_code"])  # lazy: render in English
    assert wrong in message
    assert "not a valid unified social credit code" in message


def test_admin_adds_a_firm_with_a_valid_code_typed_with_spaces(admin_client):
    code = credit_code(777)
    spaced = f"{code[:6]} {code[6:12]} {code[12:]}"
    response = admin_client.post(
        reverse("accounts_firms:add"),
        {"name": "诚信资产管理有限公司", "credit_code": spaced, "kind": FirmKind.AGENCY},
    )
    assert response.status_code == 302
    firm = Firm.objects.get(credit_code=code)
    assert firm.status == FirmStatus.PENDING  # new firms wait for a decision


def test_admin_form_refuses_a_bad_check_character_with_the_code_in_the_message(admin_client):
    code = credit_code(778)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = admin_client.post(
        reverse("accounts_firms:add"),
        {"name": "错误代码公司", "credit_code": wrong, "kind": FirmKind.AGENCY},
    )
    assert response.status_code == 200
    assert not Firm.objects.filter(name="错误代码公司").exists()
    assert wrong in response.content.decode()
    assert "not a valid unified social credit code" in response.content.decode()


# --- Status decisions ----------------------------------------------------------------------------


def test_status_changes_only_through_the_action_and_the_history_says_who_when_why(
    admin_client, admin_user
):
    firm = FirmFactory(name="在册机构", status=FirmStatus.ADMITTED)

    # The edit form has no status field: posting one changes nothing.
    admin_client.post(
        reverse("accounts_firms:edit", args=[firm.pk]),
        {
            "name": firm.name,
            "credit_code": firm.credit_code,
            "kind": firm.kind,
            "status": FirmStatus.BANNED,
        },
    )
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED

    url = reverse("accounts_firms:change_status", args=[firm.pk])
    response = admin_client.post(url, {"status": FirmStatus.SUSPENDED, "reason": "  "})
    assert response.status_code == 200
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED

    response = admin_client.post(
        url, {"status": FirmStatus.SUSPENDED, "reason": "两名催收员被确认违规。"}
    )
    assert response.status_code == 302
    response = admin_client.post(
        url, {"status": FirmStatus.PENDING, "reason": "资质审核重新开始，合同已签署。"}
    )
    firm.refresh_from_db()
    assert firm.status == FirmStatus.PENDING
    changes = list(firm.status_changes.all())
    assert [(c.from_status, c.to_status) for c in changes] == [
        (FirmStatus.SUSPENDED, FirmStatus.PENDING),
        (FirmStatus.ADMITTED, FirmStatus.SUSPENDED),
    ]
    assert all(change.decided_by == admin_user for change in changes)

    for page in ("inspect", "edit"):
        html = admin_client.get(reverse(f"accounts_firms:{page}", args=[firm.pk])).content.decode()
        assert "资质审核重新开始，合同已签署。" in html
        assert "两名催收员被确认违规。" in html
        assert admin_user.legal_name in html


def test_the_current_status_is_not_offered_as_the_new_one(admin_client):
    firm = FirmFactory(status=FirmStatus.ADMITTED)
    response = admin_client.post(
        reverse("accounts_firms:change_status", args=[firm.pk]),
        {"status": FirmStatus.ADMITTED, "reason": "无变化"},
    )
    assert response.status_code == 200
    assert not firm.status_changes.exists()


def test_auditor_may_look_at_firms_but_not_change_their_status(client, auditor):
    firm = FirmFactory()
    signed_in(client, auditor)
    assert client.get(reverse("accounts_firms:index")).status_code == 200
    assert client.get(reverse("accounts_firms:inspect", args=[firm.pk])).status_code == 200
    assert client.get(reverse("accounts_memberships:index")).status_code == 200
    response = client.post(
        reverse("accounts_firms:change_status", args=[firm.pk]),
        {"status": FirmStatus.BANNED, "reason": "试图越权"},
    )
    assert response.status_code in {302, 403}
    firm.refresh_from_db()
    assert firm.status == FirmStatus.ADMITTED
    assert client.get(reverse("accounts_firms:edit", args=[firm.pk])).status_code in {302, 403}


def test_firm_managers_have_no_admin_access(client, manager):
    MembershipFactory(firm=FirmFactory(), role=MembershipRole.MANAGER, user=manager)
    client.force_login(manager)
    response = client.get(reverse("accounts_firms:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Contracts ---------------------------------------------------------------------------------


def test_contract_validation_checks_kinds_and_dates(admin_client):
    lender = FirmFactory(name="消费金融公司", kind=FirmKind.LENDER)
    agency = FirmFactory(name="催收公司", kind=FirmKind.AGENCY)
    other_agency = FirmFactory(name="另一催收公司", kind=FirmKind.AGENCY)
    today = timezone.localdate()
    url = reverse("accounts_contracts:add")

    def post(lender_id, agency_id, starts, ends):
        return admin_client.post(
            url,
            {
                "lender": lender_id,
                "agency": agency_id,
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat() if ends else "",
            },
        )

    assert post(other_agency.pk, agency.pk, today, None).status_code == 200  # not a lender
    assert post(lender.pk, lender.pk, today, None).status_code == 200  # not an agency
    response = post(lender.pk, agency.pk, today, today - timedelta(days=1))
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    assert not Contract.objects.exists()

    assert post(lender.pk, agency.pk, today, today + timedelta(days=365)).status_code == 302
    contract = Contract.objects.get()
    assert list(Contract.objects.current(today)) == [contract]
    assert not Contract.objects.current(today + timedelta(days=366)).exists()


def test_contract_model_rules_hold_outside_the_admin_too():
    lender = FirmFactory(kind=FirmKind.LENDER)
    agency = FirmFactory(kind=FirmKind.AGENCY)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        Contract(lender=agency, agency=lender, starts_on=today).full_clean()
    assert set(error.value.message_dict) >= {"lender"}


# --- Memberships -------------------------------------------------------------------------------


def test_moving_a_collector_ends_the_old_membership_and_keeps_it(collector):
    old_firm, new_firm = FirmFactory(name="旧机构"), FirmFactory(name="新机构")
    MembershipFactory(firm=old_firm, user=collector, employee_number="A1")
    today = timezone.localdate()

    moved = memberships.move(collector, new_firm, "B7", today)

    rows = list(Membership.objects.filter(user=collector).order_by("active_from"))
    assert len(rows) == 2
    old, new = rows
    assert (old.firm, old.active_to, old.employee_number) == (old_firm, today - timedelta(1), "A1")
    assert (new.firm, new.active_from, new.active_to) == (new_firm, today, None)
    assert new == moved and new.role == MembershipRole.COLLECTOR
    assert list(Membership.objects.active(today).filter(user=collector)) == [new]
    assert list(Membership.objects.active(today - timedelta(1)).filter(user=collector)) == [old]


def test_a_move_cannot_start_before_the_current_membership_did(collector):
    firm = FirmFactory()
    MembershipFactory(firm=firm, user=collector, active_from=timezone.localdate())
    with pytest.raises(ValidationError):
        memberships.move(collector, FirmFactory(), "", timezone.localdate())
    assert Membership.objects.get(user=collector).active_to is None


def test_joining_a_second_firm_without_moving_is_refused(collector):
    MembershipFactory(firm=FirmFactory(), user=collector)
    with pytest.raises(ValidationError) as error:
        memberships.join(collector, FirmFactory())
    assert error.value.code == "member_elsewhere"


def test_admin_adding_a_membership_for_someone_elsewhere_moves_them(admin_client, collector):
    old_firm, new_firm = FirmFactory(name="甲公司"), FirmFactory(name="乙公司")
    MembershipFactory(firm=old_firm, user=collector)
    today = timezone.localdate()
    response = admin_client.post(
        reverse("accounts_memberships:add"),
        {
            "user": collector.pk,
            "firm": new_firm.pk,
            "role": MembershipRole.COLLECTOR,
            "employee_number": "Y-01",
            "active_from": today.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=collector, active_to=None).firm == new_firm
    assert Membership.objects.get(user=collector, firm=old_firm).active_to == today - timedelta(1)


def test_memberships_cannot_be_deleted_in_the_admin(admin_client):
    membership = MembershipFactory(firm=FirmFactory())
    with pytest.raises(Exception):  # noqa: B017 — there is no such URL at all
        reverse("accounts_memberships:delete", args=[membership.pk])
    response = admin_client.get(reverse("accounts_memberships:edit", args=[membership.pk]))
    assert response.status_code == 200


def test_the_admin_pages_render(admin_client, collector):
    firm = FirmFactory()
    membership = MembershipFactory(firm=firm, user=collector)
    for url in [
        reverse("accounts_firms:index"),
        reverse("accounts_firms:index") + "?status=admitted&q=测试",
        reverse("accounts_firms:add"),
        reverse("accounts_firms:change_status", args=[firm.pk]),
        reverse("accounts_contracts:index"),
        reverse("accounts_contracts:add"),
        reverse("accounts_memberships:index") + "?state=current",
        reverse("accounts_memberships:add"),
        reverse("accounts_memberships:edit", args=[membership.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url
    chooser = admin_client.get(reverse("accounts_user_chooser:choose") + "?q=张")
    assert chooser.status_code == 200
    assert collector.email in chooser.content.decode()
