"""For roles that require MFA, a session counts as signed in only once it passed the code step.

The rule reads what allauth records in the session (``account_authentication_methods``, with
an ``mfa`` entry once a TOTP or recovery code was accepted), not merely whether the user owns
an authenticator: a password alone, from any path, must open no staff page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from tests.conftest import PASSWORD, activate_totp, django_login_only, totp_code

from .url_walk import routes

# Personas come through request.getfixturevalue(): say "database" up front, so pytest-django
# runs these before the transactional test, whose flush would remove the migrations' groups.
pytestmark = pytest.mark.django_db

MFA_ROLES = ["trainer", "reviewer", "auditor", "admission_reviewer", "admin_user"]
CODE_PAGE = "/accounts/2fa/reauthenticate/"


@pytest.fixture(scope="module")
def admin_pages(django_db_setup, django_db_blocker) -> list[str]:
    """/admin/, /admin/users/ and every admin page without path arguments, less those that
    anonymous visitors get too (the icon sprite, the JavaScript catalogue: no secrets)."""
    anonymous = Client()
    with django_db_blocker.unblock():
        pages = [
            route.path
            for route in routes()
            if route.path.startswith("/admin/") and not route.has_arguments
        ]
        return [path for path in pages if anonymous.get(path).status_code != 200]


def password_only(client: Client, user, next_url: str = "/admin/"):
    """allauth's login form, password step only."""
    return client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD, "next": next_url}
    )


def pages_answering_200(client: Client, paths: list[str]) -> list[str]:
    return [path for path in paths if client.get(path).status_code == 200]


@pytest.mark.parametrize("persona", MFA_ROLES)
def test_the_password_step_alone_opens_no_admin_page(client, persona, request, admin_pages):
    user = request.getfixturevalue(persona)
    activate_totp(user)
    response = password_only(client, user)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert {"/admin/", "/admin/users/"} <= set(admin_pages)
    assert pages_answering_200(client, admin_pages) == []

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(user)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    if user.is_superuser:
        assert client.get("/admin/users/").status_code == 200


@pytest.mark.parametrize("persona", MFA_ROLES)
def test_a_session_from_django_login_alone_is_signed_out(client, persona, request, admin_pages):
    """What Wagtail's /_util/login/ used to hand out, or a session older than this rule."""
    user = request.getfixturevalue(persona)
    activate_totp(user)
    django_login_only(client, user)
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session

    django_login_only(client, user)
    assert pages_answering_200(client, admin_pages) == []


def test_staff_without_totp_signed_in_by_django_alone_are_not_offered_the_set_up(client, trainer):
    """Setting up TOTP needs a proper sign-in first, or a stolen password could enrol a phone."""
    django_login_only(client, trainer)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.fixture
def half_signed_in(client, trainer) -> Client:
    """A trainer signed in with the password on another device before setting up TOTP here:
    the session is signed in but never passed the code step."""
    password_only(client, trainer, next_url="/")
    assert int(client.session["_auth_user_id"]) == trainer.pk
    activate_totp(trainer)
    return client


def test_a_session_that_skipped_the_code_is_sent_to_enter_it(half_signed_in, trainer, admin_pages):
    response = half_signed_in.get("/admin/pages/?p=2")
    assert response.status_code == 302
    assert response["Location"] == f"{CODE_PAGE}?{urlencode({'next': '/admin/pages/?p=2'})}"
    assert pages_answering_200(half_signed_in, admin_pages) == []
    # Nor can it change what protects the account: email, password, authenticator.
    for path in (
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/recovery-codes/",
        "/",
    ):
        response = half_signed_in.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(CODE_PAGE), path

    page = half_signed_in.get(f"{CODE_PAGE}?next=/admin/")
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
    response = half_signed_in.post(f"{CODE_PAGE}?next=/admin/", {"code": totp_code(trainer)})
    assert response["Location"] == "/admin/"
    assert half_signed_in.get("/admin/").status_code == 200


def test_a_session_that_skipped_the_code_may_sign_out(half_signed_in):
    response = half_signed_in.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in half_signed_in.session


def test_json_requests_get_a_json_401_not_a_redirect(half_signed_in, client, trainer):
    response = half_signed_in.get("/admin/", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert "error" in response.json()

    other = Client()
    django_login_only(other, trainer)
    response = other.get("/firm/", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert "error" in response.json()


def test_wrong_codes_at_the_code_step_are_rate_limited(half_signed_in, trainer):
    for _ in range(5):
        response = half_signed_in.post(CODE_PAGE, {"code": "000000"})
        assert response.status_code == 200
    response = half_signed_in.post(CODE_PAGE, {"code": totp_code(trainer)})
    assert response.status_code != 302
    assert half_signed_in.get("/admin/")["Location"].startswith(CODE_PAGE)


def test_wrong_codes_at_sign_in_are_rate_limited(client, trainer):
    activate_totp(trainer)
    password_only(client, trainer)
    for _ in range(5):
        client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(trainer)})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_setting_up_totp_counts_as_this_sessions_second_factor(client, trainer):
    """Activation takes a valid code from the new authenticator: no second code needed.

    allauth announces the new authenticator once the transaction commits, which in a real
    request happens inside the view, before the session is saved: hence a transactional test
    (serialized_rollback brings back the groups the data migrations made).
    """
    password_only(client, trainer, next_url="/")
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password once more before showing the QR code.
    reauth = client.get("/accounts/2fa/totp/activate/", follow=True)
    form = client.post(reauth.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert 'name="code"' in form.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # the recovery codes
    assert client.get("/admin/").status_code == 200
