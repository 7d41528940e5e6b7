"""The site carries the product's name and the public address, for allauth's emails."""

from __future__ import annotations

from django.contrib.sites.models import Site
from django.contrib.sites.shortcuts import get_current_site
from django.test import RequestFactory, override_settings

from lms.accounts.site import ensure_site


def test_the_migrated_site_is_named_after_the_product_at_the_public_address(db):
    site = get_current_site(RequestFactory().get("/"))
    assert (site.name, site.domain) == ("阳光学堂", "127.0.0.1:8000")


@override_settings(SITE_BASE_URL="http://127.0.0.1:8101")
def test_a_new_port_reaches_the_site_once(db):
    assert ensure_site() is True  # what seed_demo runs on every make run
    assert Site.objects.get_current().domain == "127.0.0.1:8101"
    assert ensure_site() is False
