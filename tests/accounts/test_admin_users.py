"""Admins manage users in the Wagtail admin with the legal name, phone and language."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core import mail

from lms.accounts.models import User
from tests.conftest import activate_totp


def test_an_admin_creates_a_user_with_a_legal_name(
    client, admin_user, django_capture_on_commit_callbacks
):
    activate_totp(admin_user)
    client.force_login(admin_user)
    form = client.get("/admin/users/new/")
    assert form.status_code == 200
    assert 'name="legal_name"' in form.content.decode()
    assert 'name="first_name"' not in form.content.decode()

    response = client.post(
        "/admin/users/new/",
        {
            "email": "new.trainer@example.com",
            "legal_name": "欧阳明",
            "phone": "13900139000",
            "preferred_language": "zh-hans",
            "groups": [Group.objects.get(name="Trainers").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.trainer@example.com")
    assert (user.legal_name, user.phone) == ("欧阳明", "13900139000")
    assert list(user.groups.values_list("name", flat=True)) == ["Trainers"]
    # No password chosen by the admin: the new trainer sets one with allauth's reset link.
    assert not user.has_usable_password()
    assert 'name="password1"' not in form.content.decode()
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "new.trainer@example.com"})
    assert [message.to for message in mail.outbox] == [["new.trainer@example.com"]]


def test_the_edit_form_rejects_a_bad_phone_number(client, admin_user, collector):
    activate_totp(admin_user)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/users/edit/{collector.pk}/",
        {
            "email": collector.email,
            "legal_name": "张三",
            "phone": "555-0100",
            "preferred_language": "zh-hans",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "请输入中国大陆手机号码" in response.content.decode()
    collector.refresh_from_db()
    assert collector.phone == ""


def test_a_collector_cannot_open_the_user_admin(client, collector):
    client.force_login(collector)
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
