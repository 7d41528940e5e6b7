"""Every response carries the Content-Security-Policy and the other security headers.

The public site gets the strict policy (scripts from our origin or with the request's nonce, no
inline style); the Wagtail admin gets its own (it still needs inline scripts and styles); the
API's Swagger UI works under the strict one. Browser journeys (tests/e2e) prove the pages still
work with these policies on; these tests pin the headers themselves.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.views.defaults import server_error

from content.demo import ensure_site_structure
from courses.models import Enrolment, LessonPage
from tests.conftest import signed_in
from tests.courses.pages import lessons_of, make_course

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def nonce_in(response) -> str | None:
    sources = policy(response)["script-src"]
    nonces = [source for source in sources if source.startswith("'nonce-")]
    return nonces[0][len("'nonce-") : -1] if nonces else None


@pytest.fixture
def lesson(db, collector) -> LessonPage:
    """A lesson the collector is enrolled in (its page loads a script)."""
    course = make_course()
    Enrolment.objects.create(user=collector, course=course)
    return lessons_of(course)[0]


def test_public_pages_get_the_strict_policy(client):
    ensure_site_structure()
    for url in ["/", reverse("account_login"), reverse("account_signup"), reverse("search")]:
        response = client.get(url)
        assert response.status_code == 200, url
        rules = policy(response)
        assert rules["default-src"] == ["'self'"]
        assert rules["script-src"][0] == "'self'"
        assert "'unsafe-inline'" not in rules["script-src"]
        assert "'unsafe-eval'" not in rules["script-src"]
        assert rules["style-src"] == ["'self'"], url
        assert rules["img-src"] == ["'self'"], url
        assert rules["object-src"] == ["'none'"]
        assert rules["base-uri"] == ["'none'"]
        assert rules["frame-ancestors"] == ["'none'"]
        assert "https://www.youtube.com" in rules["frame-src"]


def test_each_response_gets_a_fresh_nonce_that_its_scripts_carry(client, collector, lesson):
    client.force_login(collector)

    first = client.get(lesson.url)
    second = client.get(lesson.url)

    assert first.status_code == second.status_code == 200
    nonces = [nonce_in(first), nonce_in(second)]
    assert None not in nonces and nonces[0] != nonces[1]
    assert len(nonces[0]) >= 22  # 16 random bytes, base64
    for response, nonce in zip([first, second], nonces, strict=True):
        scripts = re.findall(r"<script [^>]*>", response.content.decode())
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts


def test_the_admin_gets_its_own_policy(client, admin_user):
    signed_in(client, admin_user)

    response = client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    rules = policy(response)
    assert rules == policy_of(settings.SECURE_CSP_ADMIN)
    assert rules["script-src"] == ["'self'", "'unsafe-inline'"]  # no nonce: it would void this
    assert rules["style-src"] == ["'self'", "'unsafe-inline'"]
    assert rules["frame-ancestors"] == ["'self'"]  # page previews are same-origin iframes
    assert rules["object-src"] == ["'none'"]


def test_a_page_preview_gets_the_site_policy_but_may_be_framed_by_the_admin(
    client, rf, admin_user, lesson
):
    signed_in(client, admin_user)
    # What Wagtail's preview panel does: render the page through the middleware with a made-up
    # request that carries the editor's cookies.
    editor_request = rf.get("/admin/", HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}")

    response = lesson.make_preview_request(editor_request)

    assert response.status_code == 200
    assert lesson.title in response.content.decode()
    rules = policy(response)
    assert rules["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in rules["script-src"]
    assert nonce_in(response) is not None  # the lesson's script carries it
    assert rules["style-src"] == ["'self'"]


def policy_of(config: dict) -> dict[str, list[str]]:
    return {name: list(sources) for name, sources in config.items()}


def test_the_admin_login_redirect_is_covered_too(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "Content-Security-Policy" in response.headers


def test_the_api_docs_get_the_strict_policy(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    rules = policy(response)
    assert "'unsafe-inline'" not in rules["script-src"]
    assert rules["style-src"] == ["'self'"]
    assert rules["img-src"] == ["'self'", "data:"]  # its stylesheet's icons
    assert rules["frame-ancestors"] == ["'none'"]
    # Swagger UI is served from our static files: every script is an external one from here.
    for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_api_responses_carry_the_strict_policy(client):
    response = client.get("/api/v1/collectors")  # no token
    assert response.status_code == 401
    assert policy(response)["default-src"] == ["'self'"]
    assert policy(response)["img-src"] == ["'self'"]


@pytest.mark.parametrize("url", ["/", "/admin/", "/api/v1/docs"])
def test_other_security_headers_are_sent(client, url):
    ensure_site_structure()

    response = client.get(url)

    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    permissions = dict(
        item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(",")
    )
    # QR check-in at salons will use the phone camera on our own pages.
    assert permissions["camera"] == "(self)"
    assert permissions["microphone"] == permissions["geolocation"] == "()"


def test_the_server_error_page_is_styled_by_a_static_file(rf):
    response = server_error(rf.get("/"))

    html = response.content.decode()
    assert response.status_code == 500
    assert "style=" not in html and "<style" not in html  # blocked by the policy
    assert '<link rel="stylesheet" href="/static/css/error.css">' in html
    assert finders.find("css/error.css")
