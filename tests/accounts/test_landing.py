"""Each role lands where its work is after signing in; the header links staff to the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from lms.accounts.roles import Role
from tests.conftest import PASSWORD, activate_totp, make_user, signed_in, totp_code


def log_in(client, user, next_url: str | None = None) -> str:
    """Sign in through allauth as a person would (password, then TOTP for staff); the
    address the login sends them to."""
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    if response["Location"] == "/accounts/2fa/authenticate/":
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(user)})
        assert response.status_code == 302
    return response["Location"]


@pytest.fixture
def staff(trainer, reviewer, auditor, admin_user):
    for user in (trainer, reviewer, auditor, admin_user):
        activate_totp(user)
    return {"trainer": trainer, "reviewer": reviewer, "auditor": auditor, "admin": admin_user}


def test_trainers_reviewers_and_admins_land_on_the_admin_dashboard(client, staff):
    for role in ("trainer", "reviewer", "admin"):
        client.logout()
        assert log_in(client, staff[role]) == "/admin/", role


def test_an_auditor_lands_on_the_findings_listing(client, staff):
    assert log_in(client, staff["auditor"]) == "/admin/findings/"
    assert client.get("/admin/findings/").status_code == 200


def test_a_firm_manager_lands_on_the_firm_dashboard(client, manager):
    assert log_in(client, manager) == "/firm/"


def test_a_collector_lands_on_the_home_page(client, collector):
    assert log_in(client, collector) == "/"


def test_a_safe_next_address_still_wins_over_the_role_landing(client, staff):
    assert log_in(client, staff["trainer"], next_url="/courses/") == "/courses/"


def test_an_offsite_next_address_is_ignored(client, staff):
    assert log_in(client, staff["auditor"], next_url="https://evil.example/") == (
        "/admin/findings/"
    )


def test_the_header_links_the_admin_for_roles_that_use_it(
    client, trainer, reviewer, auditor, admin_user, manager, collector
):
    admin_link = 'href="/admin/" class="nav-admin"'
    for user in (trainer, reviewer, auditor, admin_user):
        page = signed_in(client, user).get("/").content.decode()
        assert admin_link in page, user.email
        assert "管理后台" in page
    for user in (manager, collector):
        client.force_login(user)
        assert admin_link not in client.get("/").content.decode(), user.email


def test_a_person_with_two_roles_lands_on_the_admin(client, db):
    user = make_user("both@example.com", "双重", Role.FIRM_MANAGER)
    user.groups.add(Group.objects.get(name=Role.REVIEWER))
    activate_totp(user)
    assert log_in(client, user) == "/admin/"
