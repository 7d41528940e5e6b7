"""Chinese by default, English on request; a signed-in user's choice follows them everywhere."""

from __future__ import annotations

from tests.conftest import activate_totp


def page_lang(response) -> str:
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_visitors_see_simplified_chinese_by_default_even_with_an_english_browser(client, db):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert page_lang(response) == "zh-hans"
    assert "学习法规" in response.content.decode()


def test_the_switcher_changes_the_language_for_an_anonymous_visitor(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get("/")
    assert page_lang(response) == "en"
    assert "Learn the rules" in response.content.decode()


def test_the_switch_is_a_csrf_protected_post(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/i18n/setlang/", {"language": "en"}).status_code == 403
    assert strict.get("/i18n/setlang/").status_code == 405


def test_a_signed_in_users_choice_is_saved_and_wins_on_every_device(client, collector):
    client.force_login(collector)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    collector.refresh_from_db()
    assert collector.preferred_language == "en"

    from django.test import Client

    other_device = Client()  # no language cookie there
    other_device.force_login(collector)
    assert page_lang(other_device.get("/")) == "en"


def test_an_unknown_language_is_ignored(client, collector):
    client.force_login(collector)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    collector.refresh_from_db()
    assert collector.preferred_language == "zh-hans"


def test_the_wagtail_admin_follows_the_users_language(client, trainer):
    activate_totp(trainer)
    client.force_login(trainer)
    assert page_lang(client.get("/admin/")) == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    response = client.get("/admin/")
    assert response.status_code == 200
    assert page_lang(response) == "en"
    assert "Dashboard" in response.content.decode()
