"""allauth's login rate limit and lockout hold whichever address a password is sent to.

Before, Wagtail's /_util/login/ took 25 wrong passwords and then the right one while allauth had
locked the same account. Every former password path now only redirects to allauth: a POST there
neither signs in, nor changes a password, nor sends a reset email. (The test client here does
not even enforce CSRF, so nothing but the route itself stands in the way.)
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.accounts.models import User
from tests.conftest import PASSWORD, activate_totp

NEW_PASSWORD = "Brand-New-Secret-2026"
LOGIN_PATHS = ["/_util/login/", "/admin/login/"]


def allauth_login(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def lock_out(client, user: User) -> None:
    for _ in range(5):
        allauth_login(client, user.email, "wrong-password")
    response = allauth_login(client, user.email)
    assert "登录失败次数过多" in response.content.decode()


@pytest.mark.parametrize("path", LOGIN_PATHS)
def test_a_former_login_path_never_signs_in_however_often_it_is_tried(client, trainer, path):
    activate_totp(trainer)
    for _ in range(25):
        client.post(path, {"username": trainer.email, "password": "wrong-password"})
    response = client.post(
        path, {"username": trainer.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("persona", ["trainer", "auditor", "admin_user", "collector"])
def test_the_allauth_lockout_holds_on_every_former_login_path(client, db, persona, request):
    user = request.getfixturevalue(persona)
    lock_out(client, user)
    for path in LOGIN_PATHS:
        response = client.post(path, {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302, path
        assert "_auth_user_id" not in client.session, path
    # and allauth itself still refuses the right password
    allauth_login(client, user.email)
    assert "_auth_user_id" not in client.session


def test_wagtails_password_reset_neither_sends_mail_nor_sets_a_password(
    client, trainer, django_capture_on_commit_callbacks
):
    uid = urlsafe_base64_encode(force_bytes(trainer.pk))
    token = default_token_generator.make_token(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/password_reset/", {"email": trainer.email})
    assert mail.outbox == []
    for path in (
        f"/admin/password_reset/confirm/{uid}/{token}/",
        f"/admin/password_reset/confirm/{uid}/set-password/",
    ):
        response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert response["Location"] == "/accounts/password/reset/"
    trainer.refresh_from_db()
    assert trainer.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session


def test_the_admin_cannot_set_a_password_in_wagtail(client, admin_user, trainer):
    activate_totp(admin_user)
    client.force_login(admin_user)
    client.post(
        "/admin/account/",
        {
            "password-old_password": PASSWORD,
            "password-new_password1": NEW_PASSWORD,
            "password-new_password2": NEW_PASSWORD,
        },
    )
    response = client.post(
        f"/admin/users/edit/{trainer.pk}/",
        {
            "email": trainer.email,
            "legal_name": trainer.legal_name,
            "preferred_language": "zh-hans",
            "is_active": "on",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    admin_user.refresh_from_db()
    trainer.refresh_from_db()
    assert admin_user.check_password(PASSWORD)
    assert trainer.check_password(PASSWORD)
