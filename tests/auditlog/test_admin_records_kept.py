"""Decisions of record cannot be deleted in the admin, whoever asks (a superuser included):
findings (their appeal and evidence would cascade away with no event), webhook subscriptions
(their deliveries), and firms with any history (audit events, status changes, API tokens).
A new firm created by mistake may still be deleted. Through the admin URLs people use."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lms.accounts.models import Contract, Firm, FirmKind, FirmStatus
from lms.auditlog import chain
from lms.compliance import findings
from lms.compliance.models import ApiToken, Appeal, Finding, WebhookSubscription
from tests.compliance.factories import make_finding
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

REFUSED = "因此未删除"  # the start of the refusal's zh_Hans text ("so it was not deleted")


def delete_path(view_set: str, pk: int) -> str:
    """The URL Wagtail's delete view would have: the edit URL with "delete" for "edit"."""
    return reverse(f"{view_set}:edit", args=[pk]).replace("/edit/", "/delete/")


@pytest.fixture
def admin_client(client, admin_user):
    return signed_in(client, admin_user)


# --- Findings -----------------------------------------------------------------------------------


@pytest.fixture
def appealed_finding(auditor, collector):
    MembershipFactory(firm=FirmFactory(), user=collector)
    finding = make_finding(collector, by=auditor)
    findings.confirm(finding, by=auditor, note="录音证实。")
    findings.appeal(Finding.objects.get(), by=collector, grounds="不是我打的电话。")
    return Finding.objects.get()


def test_a_superuser_cannot_delete_a_finding(admin_client, appealed_finding):
    with pytest.raises(NoReverseMatch):
        reverse("compliance_findings:delete", args=[appealed_finding.pk])
    url = f"/admin/findings/delete/{appealed_finding.pk}/"
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url).status_code == 404
    assert Finding.objects.filter(pk=appealed_finding.pk).exists()
    assert Appeal.objects.filter(finding=appealed_finding).exists()


def test_no_finding_page_offers_a_delete_button(admin_client, auditor, collector):
    MembershipFactory(firm=FirmFactory(), user=collector)
    finding = make_finding(collector, by=auditor)  # open: the edit page is offered
    pages = [
        reverse("compliance_findings:index"),
        reverse("compliance_findings:edit", args=[finding.pk]),
        reverse("compliance_findings:inspect", args=[finding.pk]),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert "/admin/findings/delete/" not in response.content.decode(), page


# --- Other decision models --------------------------------------------------------------------


@pytest.mark.parametrize(
    "view_set",
    [
        "compliance_findings",
        "compliance_webhook_subscriptions",
        "compliance_api_tokens",
        "compliance_webhook_deliveries",
        "accounts_memberships",
        "exams_certificates",
        "admission_applications",
        "exams_certificate_issuances",
    ],
)
def test_no_decision_view_set_has_a_delete_route(view_set):
    reverse(f"{view_set}:index")  # the view set is there...
    with pytest.raises(NoReverseMatch):  # ...without a delete view
        reverse(f"{view_set}:delete", args=[1])


def test_a_webhook_subscription_is_paused_not_deleted(admin_client):
    subscription = WebhookSubscription.objects.create(
        firm=FirmFactory(), url="https://hooks.example.com/in", events=["rating.changed"]
    )
    url = delete_path("compliance_webhook_subscriptions", subscription.pk)
    assert admin_client.post(url).status_code == 404
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    edit = admin_client.get(
        reverse("compliance_webhook_subscriptions:edit", args=[subscription.pk])
    )
    assert edit.status_code == 200
    assert url not in edit.content.decode()


# --- Firms --------------------------------------------------------------------------------------


def delete_firm(client, firm: Firm):
    return client.post(reverse("accounts_firms:delete", args=[firm.pk]), follow=True)


def test_a_new_pending_firm_created_by_mistake_may_be_deleted(admin_client):
    firm = FirmFactory(status=FirmStatus.PENDING)
    response = delete_firm(admin_client, firm)
    assert response.status_code == 200
    assert REFUSED not in response.content.decode()
    assert not Firm.objects.filter(pk=firm.pk).exists()


def test_a_firm_with_an_api_token_is_not_deleted(admin_client):
    firm = FirmFactory(status=FirmStatus.PENDING)
    with transaction.atomic():
        ApiToken.issue(firm=firm, name="系统对接", scopes=[], actor="test")
    response = delete_firm(admin_client, firm)
    assert REFUSED in response.content.decode()
    assert Firm.objects.filter(pk=firm.pk).exists()
    assert ApiToken.objects.filter(firm=firm).exists()


def test_a_firm_whose_status_changed_is_not_deleted(admin_client):
    firm = FirmFactory()
    response = admin_client.post(
        reverse("accounts_firms:change_status", args=[firm.pk]),
        {"status": FirmStatus.PENDING, "reason": "重新审核。"},
    )
    assert response.status_code == 302
    assert firm.status_changes.exists()
    response = delete_firm(admin_client, firm)
    assert REFUSED in response.content.decode()
    assert Firm.objects.get(pk=firm.pk).status_changes.count() == 1


def test_a_firm_named_in_the_audit_log_is_not_deleted(admin_client):
    firm = FirmFactory(status=FirmStatus.PENDING)
    with transaction.atomic():
        chain.record("staff.signed_in", actor="test", firms=[firm])
    response = delete_firm(admin_client, firm)
    assert REFUSED in response.content.decode()
    assert Firm.objects.filter(pk=firm.pk).exists()


def test_a_firm_with_a_contract_is_not_deleted(admin_client):
    lender = FirmFactory(status=FirmStatus.PENDING, kind=FirmKind.LENDER)
    agency = FirmFactory(status=FirmStatus.PENDING)
    Contract.objects.create(lender=lender, agency=agency, starts_on=timezone.localdate())
    for firm in (lender, agency):
        response = delete_firm(admin_client, firm)
        assert REFUSED in response.content.decode()
        assert Firm.objects.filter(pk=firm.pk).exists()
    assert Contract.objects.count() == 1


def test_a_firm_with_members_is_still_refused(admin_client, collector):
    firm = FirmFactory()
    MembershipFactory(firm=firm, user=collector)
    delete_firm(admin_client, firm)  # Wagtail's own check of protected references refuses it
    assert Firm.objects.filter(pk=firm.pk).exists()
