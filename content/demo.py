"""The demo site structure, extended by later features (course index, events, library)."""

from __future__ import annotations

from wagtail.models import Page, Site

from .models import HomePage


def ensure_site_structure() -> list[str]:
    """Make sure the home page is live and is the default site's root. Returns what it created."""
    created: list[str] = []
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="阳光学堂", slug="home"))
        created.append("home page")
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="阳光学堂",
        )
        created.append("default site")
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
        created.append("default site root")
    return created
