"""The regulation library in the Wagtail admin: listed, filtered and searched by staff only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from content.models import Regulation
from tests.conftest import signed_in


@pytest.fixture
def regulations(db) -> None:
    call_command("load_regulations", stdout=StringIO())


@pytest.fixture
def list_url() -> str:
    return reverse("wagtailsnippets_content_regulation:list")


def edit_url(regulation: Regulation) -> str:
    return reverse("wagtailsnippets_content_regulation:edit", args=[regulation.pk])


def test_an_administrator_can_list_the_regulations(client, admin_user, regulations, list_url):
    response = signed_in(client, admin_user).get(list_url)
    assert response.status_code == 200
    for regulation in Regulation.objects.all():
        assert edit_url(regulation) in response.content.decode()


def test_a_trainer_can_read_but_not_change_the_regulations(client, trainer, regulations, list_url):
    # Statute text comes from load_regulations; trainers cite it and may read it, not edit it.
    article = Regulation.objects.get(short_name="刑法", article_no="293-1")
    signed_in(client, trainer)
    response = client.get(list_url)
    assert response.status_code == 200
    assert "第二百九十三条之一" in response.content.decode()
    inspect = reverse("wagtailsnippets_content_regulation:inspect", args=[article.pk])
    assert inspect in response.content.decode()
    assert "催收高利放贷" in client.get(inspect).content.decode()
    assert client.get(edit_url(article)).status_code in {302, 403}


def test_the_list_filters_by_topic(client, admin_user, regulations, list_url):
    response = signed_in(client, admin_user).get(list_url, {"topic": "personal-information"})
    html = response.content.decode()
    shown = [r for r in Regulation.objects.all() if edit_url(r) in html]
    assert len(shown) == 6
    assert {r.short_name for r in shown} == {"个人信息保护法"}


def test_the_list_searches_the_chinese_text_by_substring(client, admin_user, regulations, list_url):
    client = signed_in(client, admin_user)
    target = Regulation.objects.get(short_name="刑法", article_no="293-1")
    # The statute text says 催收高利放贷等产生的非法债务; it never names the crime
    # (催收非法债务罪), so editors find it by the words of the text or its label.
    for q in ("催收高利放贷", "第二百九十三条之一"):
        html = client.get(list_url, {"q": q}).content.decode()
        shown = [r for r in Regulation.objects.all() if edit_url(r) in html]
        assert shown == [target], q


def test_a_collector_cannot_reach_the_admin(client, collector, regulations, list_url):
    client.force_login(collector)
    response = client.get(list_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_anonymous_visitor_is_sent_to_log_in(client, regulations, list_url):
    response = client.get(list_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
