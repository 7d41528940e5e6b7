"""Unknown addresses get the site's own 404 page (``templates/404.html``), in Chinese by default."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/no-such-page/", "/firm/no-such-page/", "/learning/nope/"])
def test_an_unknown_address_gets_the_sites_404_page_in_chinese(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "页面不存在" in html
    assert 'href="/"' in html


def test_it_follows_the_visitors_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html
