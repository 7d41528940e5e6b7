"""TOTP is available to everyone and required for trainers, reviewers, auditors and admins."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, activate_totp, totp_code


@pytest.mark.parametrize("persona", ["trainer", "reviewer", "auditor", "admin_user"])
def test_staff_without_totp_are_sent_to_set_it_up(client, db, persona, request):
    user = request.getfixturevalue(persona)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    landing = response["Location"]  # where the role's work is (lms/accounts/landing.py)
    assert landing.startswith("/admin/")
    response = client.get(landing)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before any MFA change, then shows the QR code.
    reauth = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert reauth.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    assert "您的角色要求启用双重身份验证" in reauth.content.decode()
    setup = client.post(reauth.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert setup.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    assert 'name="code"' in setup.content.decode()


@pytest.mark.parametrize("persona", ["collector", "manager"])
def test_collectors_and_managers_may_work_without_totp(client, db, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/").status_code == 200


def test_a_collector_can_still_choose_to_set_up_totp(client, collector):
    client.post("/accounts/login/", {"login": collector.email, "password": PASSWORD})
    reauth = client.get("/accounts/2fa/totp/activate/", follow=True)
    setup = client.post(reauth.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert setup.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    assert 'name="code"' in setup.content.decode()


def test_staff_api_calls_without_totp_get_a_json_403(client, trainer):
    client.force_login(trainer)
    response = client.get("/", headers={"accept": "application/json"})
    assert response.status_code == 403
    assert "error" in response.json()


def test_a_trainer_with_totp_logs_in_with_password_then_code(client, trainer):
    activate_totp(trainer)
    response = client.post("/accounts/login/", {"login": trainer.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # the password alone is not enough

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(trainer)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == trainer.pk
    assert client.get("/").status_code == 200
