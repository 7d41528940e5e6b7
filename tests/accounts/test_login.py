"""Logging in and out, password reset, and allauth's rate limit on failed logins."""

from __future__ import annotations

import re

from django.core import mail

from lms.accounts.models import User
from tests.conftest import PASSWORD


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_verified_collector_logs_in_with_email_and_password(client, collector):
    response = log_in(client, "Collector@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "张三" in page  # the header shows the legal name


def test_a_wrong_password_is_rejected_with_a_clear_message(client, collector):
    response = log_in(client, collector.email, "wrong-password")
    assert response.status_code == 200
    assert "您提供的电子邮件地址和/或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_ends_the_session(client, collector):
    client.force_login(collector)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_rate_limited(client, collector):
    for _ in range(5):
        log_in(client, collector.email, "wrong-password")
    response = log_in(client, collector.email, PASSWORD)  # even the right password now waits
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in response.content.decode()


def test_password_reset_by_email_lets_the_user_choose_a_new_password(
    client, collector, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": collector.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "Brand-New-Secret-2026"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=collector.pk).check_password(new_password)
    client.logout()
    assert log_in(client, collector.email, new_password)["Location"] == "/"


def test_wagtail_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/pages/"
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
