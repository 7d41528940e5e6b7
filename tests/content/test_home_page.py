"""The home page is the site root, created by migration, and renders for every visitor."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains
from wagtail.models import Site

from content.models import HomePage

pytestmark = pytest.mark.django_db


def test_the_default_site_is_rooted_at_the_home_page():
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.title == "阳光学堂"


def test_it_renders(wagtail_asserts):
    wagtail_asserts.assertPageIsRenderable(HomePage.objects.get())


def test_it_invites_visitors_to_sign_up_and_welcomes_users_back(client):
    response = client.get("/")
    assertContains(response, 'href="/accounts/signup/"')
    assertContains(response, "阳光学堂")


def test_only_one_home_page_may_exist_and_only_at_the_top(wagtail_asserts):
    wagtail_asserts.assertCanNotCreateAt(HomePage, HomePage)
    assert not HomePage.can_create_at(HomePage.objects.get())


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assertContains(response, "页面不存在", status_code=404)
