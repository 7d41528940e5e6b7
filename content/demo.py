"""The demo site structure and demo events, extended as features land.

Idempotent: anything that already exists (matched by slug) is left alone, so trainers' edits
to demo pages survive another ``seed_demo``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.files.base import ContentFile
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from lms.lib.demo import DemoReport

from .demo_content import EVENTS
from .models import EventIndexPage, EventPage, EventSpeaker, HomePage
from .regulations import load_file
from .slides import render_slides

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


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


def _local(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


def _slides_document(material: dict, event_slug: str):
    """The material's PDF as a Wagtail document, rendered once and reused on later runs."""
    Document = get_document_model()
    title = material["title"]
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    pdf = render_slides(material["slides_html"], title)
    name = f"{event_slug}-{slugify(title, allow_unicode=False) or 'slides'}.pdf"
    document = Document(title=title)
    document.file.save(name, ContentFile(pdf), save=False)
    document.save()
    return document


def ensure_demo_events() -> list[str]:
    """Create the demo salon and summit under the events index, with their slide decks."""
    created: list[str] = []
    index = EventIndexPage.objects.first()
    if index is None:
        return created
    for spec in EVENTS:
        if EventPage.objects.filter(slug=spec["slug"]).exists():
            continue
        materials = [
            {
                "type": "slides",
                "value": {
                    "document": _slides_document(material, spec["slug"]).pk,
                    "title": material["title"],
                },
            }
            for material in spec["materials"]
        ]
        event = EventPage(
            title=spec["title"],
            slug=spec["slug"],
            kind=spec["kind"],
            start=_local(spec["start"]),
            end=_local(spec["end"]),
            city=spec["city"],
            venue=spec["venue"],
            online_url=spec["online_url"],
            intro=spec["intro"],
            agenda=[{"type": "item", "value": item} for item in spec["agenda"]],
            materials=materials,
            recap=spec["recap"],
        )
        for position, speaker in enumerate(spec["speakers"]):
            event.speakers.add(
                EventSpeaker(
                    name=speaker["name"],
                    title=speaker["title"],
                    bio=speaker["bio"],
                    sort_order=position,
                )
            )
        index.add_child(instance=event)
        event.save_revision().publish()
        created.append(f"event {spec['title']}")
    return created


# seed_demo steps (registered in ContentConfig.ready).


def seed_regulations(report: DemoReport) -> None:
    """The regulation library from its bundled file (courses and questions cite it)."""
    loaded = load_file()
    report.line(
        f"regulations: {loaded.created} created, {loaded.updated} updated, "
        f"{loaded.unchanged} unchanged",
        created=loaded.created + loaded.updated,
    )


def seed_site_structure(report: DemoReport) -> None:
    report.created_lines(ensure_site_structure())


def seed_events(report: DemoReport) -> None:
    report.created_lines(ensure_demo_events())
