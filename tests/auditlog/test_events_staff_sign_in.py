"""Admin sign-ins of staff roles: one ``staff.signed_in`` event per sign-in, written when the
session becomes fully signed in (after the second factor), with the IP address and user agent
kept in the event's personal part. Collectors, managers and half-finished sign-ins write none."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache

from tests.auditlog.helpers import events_of, one_event
from tests.conftest import PASSWORD, activate_totp, totp_code

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"
CODE_PAGE = "/accounts/2fa/reauthenticate/"


def password_step(client, user, next_url: str = "/admin/"):
    return client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD, "next": next_url},
        headers={"user-agent": BROWSER},
    )


def code_step(client, user):
    return client.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(user)}, headers={"user-agent": BROWSER}
    )


@pytest.mark.parametrize(
    ("persona", "roles"),
    [
        ("trainer", ["Trainers"]),
        ("reviewer", ["Reviewers"]),
        ("auditor", ["Auditors"]),
        ("admission_reviewer", ["Admission reviewers"]),
        ("admin_user", []),
    ],
)
def test_a_staff_sign_in_with_password_and_code_writes_one_event(client, persona, roles, request):
    user = request.getfixturevalue(persona)
    activate_totp(user)
    password_step(client, user)
    assert events_of("staff.signed_in") == []  # the password alone is not a sign-in
    client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert events_of("staff.signed_in") == []
    response = code_step(client, user)
    assert response["Location"] == "/admin/"

    event = one_event(
        "staff.signed_in",
        subject_type="accounts.user",
        subject_id=str(user.pk),
        actor_kind="user",
        actor_id=str(user.pk),
        persons=[user.pk],
        firms=[],
    )
    assert event.payload == {
        "user": user.pk,
        "roles": roles,
        "superuser": user.is_superuser,
        "methods": ["password", "mfa"],
    }
    assert event.personal["ip"] == "127.0.0.1"
    assert event.personal["user_agent"] == BROWSER
    assert "127.0.0.1" not in str(event.payload) and user.email not in str(event.payload)

    # Working on, and entering the code again when allauth asks: the same sign-in.
    assert client.get("/admin/").status_code == 200
    client.post(CODE_PAGE, {"code": totp_code(user)})
    assert client.get("/admin/").status_code == 200
    assert len(events_of("staff.signed_in")) == 1


def test_signing_out_and_in_again_is_a_second_sign_in(client, trainer):
    activate_totp(trainer)
    password_step(client, trainer)
    code_step(client, trainer)
    client.post("/accounts/logout/")
    # allauth refuses a code twice in its 30-second period: as if the next period had come.
    cache.clear()
    password_step(client, trainer)
    assert len(events_of("staff.signed_in")) == 1
    assert code_step(client, trainer)["Location"] == "/admin/"
    assert len(events_of("staff.signed_in")) == 2


@pytest.mark.parametrize("persona", ["collector", "manager"])
def test_collectors_and_managers_signing_in_write_nothing(client, persona, request):
    user = request.getfixturevalue(persona)
    response = password_step(client, user, next_url="/")
    assert int(client.session["_auth_user_id"]) == user.pk, response
    assert events_of("staff.signed_in") == []


def test_a_session_that_skipped_the_code_is_recorded_when_it_enters_it(client, trainer):
    # Signed in with the password before TOTP was set up (on another device): not complete.
    password_step(client, trainer, next_url="/")
    activate_totp(trainer)
    assert client.get("/admin/")["Location"].startswith(CODE_PAGE)
    assert events_of("staff.signed_in") == []
    client.post(f"{CODE_PAGE}?next=/admin/", {"code": "000000"})
    assert events_of("staff.signed_in") == []

    response = client.post(f"{CODE_PAGE}?next=/admin/", {"code": totp_code(trainer)})
    assert response["Location"] == "/admin/"
    event = one_event("staff.signed_in", actor_id=str(trainer.pk))
    assert event.payload["methods"] == ["password", "mfa"]


def test_a_forced_test_login_is_no_sign_in(client, trainer):
    activate_totp(trainer)
    client.force_login(trainer)  # conftest: allauth's records, but no login through allauth
    assert client.get("/admin/").status_code == 200
    assert events_of("staff.signed_in") == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_setting_up_totp_completes_the_sign_in_and_writes_one_event(client, trainer):
    password_step(client, trainer, next_url="/")
    assert events_of("staff.signed_in") == []
    reauth = client.get("/accounts/2fa/totp/activate/", follow=True)
    client.post(reauth.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert events_of("staff.signed_in") == []  # entering the password again is no second factor
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    event = one_event("staff.signed_in", actor_id=str(trainer.pk))
    assert event.payload["methods"][-1] == "mfa"
