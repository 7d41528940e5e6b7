"""The firm managers' admission page (/firm/admission/, ``admission_firm``): the firm's status,
how long its admission is valid, its flags, the last decision's conditions, the open
re-assessment with a fresh link by email, and for a lender its agencies' standing. Only a
firm's own managers get in; the dashboard links to it and shows the expired-admission flag."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import FirmKind, FirmStatus
from lms.admission import links
from lms.admission.models import Application, Condition, ReviewKind
from tests.compliance.dashboard_factories import contract, make_collector, make_manager
from tests.conftest import signed_in

from .reassess_factories import (
    decided_application,
    expiring_firm,
)

pytestmark = [pytest.mark.django_db]

PAGE = "/firm/admission/"
LINK = "/firm/admission/link/"


@pytest.fixture
def agency():
    return expiring_firm(-2, name="晴川资产管理有限公司")


@pytest.fixture
def boss(agency):
    return make_manager("boss@agency.example", "赵经理", agency)


def open_reassessments(capture) -> None:
    with capture(execute=True):
        call_command("open_reassessments", stdout=io.StringIO())


def token_in(message) -> str:
    [link] = [line for line in message.body.splitlines() if line.startswith("http")]
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_the_url_names(agency):
    assert reverse("admission_firm:index") == PAGE
    assert reverse("admission_firm:link") == LINK


def test_a_manager_sees_the_status_expiry_flag_conditions_and_reassessment(
    client, agency, boss, django_capture_on_commit_callbacks
):
    previous = decided_application(agency)
    Condition.objects.create(
        decision=previous.decisions.get(),
        text="三个月内完成外访录音设备全覆盖",
        due_on=timezone.localdate() - timedelta(days=1),
    )
    open_reassessments(django_capture_on_commit_callbacks)
    client.force_login(boss)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    html = response.content.decode()
    assert "晴川资产管理有限公司" in html
    assert 'data-firm-status="admitted"' in html
    assert 'data-flag="admission_expired"' in html
    assert "三个月内完成外访录音设备全覆盖" in html and "overdue" in html
    assert 'data-reassessment="draft"' in html
    assert 'data-decision="admitted"' in html
    assert previous.decisions.get().proposed_by.legal_name not in html  # no reviewer names


def test_without_an_open_reassessment_the_page_says_when_one_opens(client):
    firm = expiring_firm(200)
    manager = make_manager("m@agency.example", "孙经理", firm)
    client.force_login(manager)

    html = client.get(PAGE).content.decode()

    assert 'data-reassessment="none"' in html and "data-firm-flags" not in html
    response = client.post(LINK, follow=True)
    assert "no open re-assessment" in response.content.decode()
    assert not mail.outbox


def test_a_fresh_link_goes_to_the_asking_manager_and_the_old_one_stops_working(
    client, agency, boss, django_capture_on_commit_callbacks
):
    deputy = make_manager("deputy@agency.example", "钱副经理", agency)
    open_reassessments(django_capture_on_commit_callbacks)
    [first] = mail.outbox
    old_token = token_in(first)
    application = Application.objects.get(firm=agency, review_kind=ReviewKind.REASSESSMENT)
    assert links.application_for_token(old_token) == application
    client.force_login(deputy)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LINK, follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    assert "deputy@agency.example" in response.content.decode()
    fresh = mail.outbox[-1]
    assert len(mail.outbox) == 2 and fresh.to == ["deputy@agency.example"]
    assert links.application_for_token(token_in(fresh)) == application
    assert links.application_for_token(old_token) is None
    assert client.get(LINK).status_code == 405


def test_only_a_firms_own_managers_get_in(client, agency, boss, django_capture_on_commit_callbacks):
    open_reassessments(django_capture_on_commit_callbacks)
    outbox = len(mail.outbox)
    collector = make_collector(agency, "张小三")
    other_firm = expiring_firm(300, name="别家资产管理")
    other_manager = make_manager("other@else.example", "周经理", other_firm)

    assert client.get(PAGE).status_code == 302  # signed out: to the sign-in page
    client.force_login(collector)
    assert client.get(PAGE).status_code == 403
    assert client.post(LINK).status_code == 403
    client.force_login(other_manager)
    html = client.get(PAGE).content.decode()
    assert "别家资产管理" in html and "晴川资产管理有限公司" not in html
    assert 'data-reassessment="none"' in html
    client.post(LINK)
    assert len(mail.outbox) == outbox  # nothing about another firm's re-assessment


def test_a_reviewer_or_auditor_is_not_a_manager(client, admission_reviewer, auditor):
    for user in (admission_reviewer, auditor):
        signed_in(client, user)
        assert client.get(PAGE).status_code == 403


def test_a_lender_sees_its_contracted_agencies_standing(client, agency):
    lender = expiring_firm(200, kind=FirmKind.LENDER, name="阳光消费金融")
    other = expiring_firm(200, name="无合同机构")
    suspended = expiring_firm(200, name="已暂停机构")
    suspended.change_status(FirmStatus.SUSPENDED, by=None, reason="复评未通过")
    today = timezone.localdate()
    contract(lender, agency, starts_on=today - timedelta(days=10))
    contract(lender, suspended, starts_on=today - timedelta(days=10))
    manager = make_manager("chief@lender.example", "孙行长", lender)
    client.force_login(manager)

    html = client.get(PAGE).content.decode()

    assert f'data-agency="{agency.credit_code}"' in html and "admission expired" in html
    assert f'data-agency="{suspended.credit_code}"' in html and "Suspended" in html
    assert other.name not in html


def test_the_dashboard_links_the_page_and_shows_the_expired_admission_flag(client, agency, boss):
    client.force_login(boss)

    html = client.get("/firm/").content.decode()

    assert f'href="{PAGE}"' in html
    assert 'data-flag="admission_expired"' in html
    agency.refresh_from_db()
    assert agency.status == FirmStatus.ADMITTED


def test_a_valid_admission_shows_no_flag_on_the_dashboard(client):
    firm = expiring_firm(100)
    manager = make_manager("m@agency.example", "孙经理", firm)
    client.force_login(manager)

    html = client.get("/firm/").content.decode()

    assert "data-firm-flags" not in html and f'href="{PAGE}"' in html
