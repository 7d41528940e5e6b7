"""Sign-up by email with mandatory verification, through allauth's pages."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core import mail

from lms.accounts.models import User

SIGNUP = {
    "email": "Wang.Collector@Example.com",
    "legal_name": " 王  小明 ",
    "phone": "13800138000",
    "password1": "Sunshine-Test-2026!",
    "password2": "Sunshine-Test-2026!",
}


def confirmation_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_the_signup_page_asks_for_the_legal_name_in_chinese(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert 'name="legal_name"' in html
    assert "法定姓名" in html


def test_it_creates_an_unverified_user_and_emails_a_link_after_commit(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="wang.collector@example.com")
    assert (user.legal_name, user.phone, user.preferred_language) == (
        "王 小明",
        "13800138000",
        "zh-hans",
    )
    assert not EmailAddress.objects.get(user=user).verified
    assert len(callbacks) == 1  # the email is queued only once the user row is committed
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wang.collector@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_nothing_is_sent_when_the_signup_transaction_rolls_back(client, db):
    # Without executing on-commit callbacks (the test transaction never commits), no mail leaves.
    client.post("/accounts/signup/", SIGNUP)
    assert mail.outbox == []


def test_an_unverified_user_cannot_log_in_until_the_link_is_followed(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail.outbox[-1])
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    client.post(path)
    assert EmailAddress.objects.get(email__iexact=SIGNUP["email"]).verified

    response = client.post(
        "/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"]


def test_a_bad_phone_number_is_explained_and_nothing_is_created(client, db):
    response = client.post("/accounts/signup/", {**SIGNUP, "phone": "12345"})
    assert response.status_code == 200
    assert "请输入中国大陆手机号码" in response.content.decode()
    assert not User.objects.exists()
    # What the person typed is kept, so they only fix the wrong field.
    assert 'value="Wang.Collector@Example.com"' in response.content.decode()


def test_an_email_cannot_be_registered_twice_nor_probed(
    client, collector, django_capture_on_commit_callbacks
):
    # allauth answers as for a new sign-up, so nobody can test which emails have accounts, and
    # tells the real owner by email instead.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", {**SIGNUP, "email": "COLLECTOR@example.com"})
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email__iexact="collector@example.com").count() == 1
    assert User.objects.get(email="collector@example.com").legal_name == "张三"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["collector@example.com"]
    assert "/accounts/confirm-email/" not in mail.outbox[0].body
