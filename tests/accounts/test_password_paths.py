"""allauth's form is the only place anyone types their password.

Wagtail routes its own login (/_util/login/, /admin/login/), password reset (/admin/password_reset/)
and password change (/admin/account/) forms, and Wagtail's user admin used to take a password
for someone else. None of them has allauth's rate limit, lockout or MFA step, so each either
redirects to allauth or is switched off (settings "Sign-in paths" block; lms/urls.py).

The walk below requests every URL pattern the project routes and fails if any view that is not
allauth's serves an ``<input type="password">``.

Deliberate exception: Wagtail's page and document *privacy* passwords
(``wagtailcore_authenticate_with_password``, ``wagtaildocs_authenticate_with_password``). They
are shared passwords that unlock one page, not a person's credentials: posting one never signs
anyone in (tested below). The admin can no longer create them (``SHARED_PASSWORD`` off, tested
below), so their forms can only appear for a restriction made before; with the walk's dummy ids
they answer 404 like any missing object, and they stay routed so such a restriction still works.
"""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import Collection, PageViewRestriction

from content.models import HomePage
from tests.conftest import PASSWORD, activate_totp

from .url_walk import Route, routes, served_by_allauth, serves_password_form


def walk_for_password_forms(client: Client, walk: list[Route], user=None) -> tuple[list, list]:
    """GETs every route; returns (pages that answered 200, non-allauth password forms)."""
    client.raise_request_exception = False  # /admin/failwhale/ raises on purpose
    answered, offenders = [], []
    for route in walk:
        if user is not None and "_auth_user_id" not in client.session:
            client.force_login(user)  # in case a route signed the client out
        response = client.get(route.path)
        if response.status_code != 200:
            continue
        answered.append(route.path)
        if serves_password_form(response) and not served_by_allauth(response):
            match = response.resolver_match
            offenders.append(f"{route.path} ({route.name}) served by {match._func_path}")
    return answered, offenders


@pytest.fixture
def walk(admin_user, collector) -> list[Route]:
    """Every route, path arguments filled with real ids where the view needs an object."""
    home = HomePage.objects.get()
    page_id = str(home.pk)
    return routes(
        {
            "page_id": page_id,
            "parent_page_id": page_id,
            "page_to_move_id": page_id,
            "pk": str(collector.pk),  # e.g. /admin/users/edit/<pk>/
            "collection_id": str(Collection.get_first_root_node().pk),
        }
    )


def test_no_route_but_allauths_serves_a_password_form_to_anonymous_visitors(client, walk):
    answered, offenders = walk_for_password_forms(client, walk)
    assert offenders == []
    # The check itself works: allauth's own forms are found (and allowed).
    assert {"/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"} <= set(answered)


def test_no_route_but_allauths_serves_a_password_form_to_a_signed_in_admin(
    client, walk, admin_user, collector
):
    activate_totp(admin_user)
    client.force_login(admin_user)
    answered, offenders = walk_for_password_forms(client, walk, user=admin_user)
    assert offenders == []
    # The walk really saw the admin's forms, including the user screens.
    assert {"/admin/", "/admin/users/new/", f"/admin/users/edit/{collector.pk}/"} <= set(answered)
    assert "/admin/account/" in answered


def test_no_route_but_allauths_serves_a_password_form_to_a_signed_in_collector(
    client, walk, collector
):
    client.force_login(collector)
    answered, offenders = walk_for_password_forms(client, walk, user=collector)
    assert offenders == []
    assert {"/certificates/", "/learning/my/"} <= set(answered)


@pytest.mark.parametrize(
    ("old_path", "allauth_path"),
    [
        ("/_util/login/?next=/admin/", "/accounts/login/?next=/admin/"),
        ("/admin/login/?next=/admin/users/", "/accounts/login/?next=/admin/users/"),
        ("/admin/password_reset/", "/accounts/password/reset/"),
        ("/admin/password_reset/done/", "/accounts/password/reset/"),
        ("/admin/password_reset/confirm/MQ/set-password/", "/accounts/password/reset/"),
        ("/admin/password_reset/complete/", "/accounts/password/reset/"),
    ],
)
def test_wagtails_login_and_password_reset_addresses_lead_to_allauth(
    client, db, old_path, allauth_path
):
    response = client.get(old_path)
    assert response.status_code == 302
    assert response["Location"] == allauth_path


def test_wagtail_neither_sets_anyones_password_nor_changes_ones_own(client, admin_user, collector):
    activate_totp(admin_user)
    client.force_login(admin_user)
    for url in ("/admin/users/new/", f"/admin/users/edit/{collector.pk}/", "/admin/account/"):
        response = client.get(url)
        assert response.status_code == 200
        assert not serves_password_form(response), url
        assert 'name="password1"' not in response.content.decode(), url


def test_page_and_collection_privacy_offer_no_shared_password(client, admin_user):
    activate_totp(admin_user)
    client.force_login(admin_user)
    home = HomePage.objects.get()
    for url in (
        f"/admin/pages/{home.pk}/privacy/",
        f"/admin/collections/{Collection.get_first_root_node().pk}/privacy/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert 'value="password"' not in body, url
        assert 'name="password"' not in body, url


def test_a_legacy_page_password_unlocks_the_page_but_signs_nobody_in(client, collector):
    home = HomePage.objects.get()
    restriction = PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.PASSWORD, password=PASSWORD
    )
    response = client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{home.pk}/",
        {"password": PASSWORD, "return_url": "/"},
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 200  # the page, as an anonymous visitor
    assert "_auth_user_id" not in client.session
