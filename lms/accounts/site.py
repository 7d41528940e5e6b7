"""The product's name and public address as ``django.contrib.sites`` records them.

allauth's emails greet with ``current_site.name`` and sign off with ``current_site.domain``;
without a named Site they read "Hello from !" (来自的 Hello!). The Site row is set from
``SITE_BASE_URL`` by migration ``accounts.0005`` and again by ``seed_demo`` (which
``make run`` calls on every start, so a new ``PORT`` reaches the emails too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.color import no_style
from django.db import connections

if TYPE_CHECKING:
    from django.contrib.sites.models import Site
    from django.db.models import Model

PRODUCT_NAME = "阳光学堂"


def site_domain(base_url: str | None = None) -> str:
    """The host (and port, when not the scheme's default) of ``SITE_BASE_URL``."""
    return urlsplit(base_url or settings.SITE_BASE_URL).netloc


def ensure_site(site_model: type[Site] | None = None, using: str = "default") -> bool:
    """Name the current Site after the product and point it at ``SITE_BASE_URL``.

    Returns whether anything changed. ``site_model`` is the historical model in a migration.
    """
    if site_model is None:
        from django.contrib.sites.models import Site

        site_model = Site
    wanted = {"domain": site_domain(), "name": PRODUCT_NAME}
    sites = site_model.objects.using(using)
    site = sites.filter(pk=settings.SITE_ID).first()
    if site is None:
        sites.create(pk=settings.SITE_ID, **wanted)
        _reset_sequence(site_model, using)  # an explicit pk leaves PostgreSQL's sequence at 1
    elif site.domain != wanted["domain"] or site.name != wanted["name"]:
        site.domain, site.name = wanted["domain"], wanted["name"]
        site.save(using=using, update_fields=["domain", "name"])
    else:
        return False
    if site_model.__module__ == "django.contrib.sites.models":
        site_model.objects.clear_cache()  # get_current() caches the row per process
    return True


def _reset_sequence(model: type[Model], using: str) -> None:
    """As django.contrib.sites does after creating its default site with pk 1."""
    statements = connections[using].ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connections[using].cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
