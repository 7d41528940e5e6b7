"""Salon and summit pages: where they may be created, what editors must fill in, how they render
for visitors, and how the event list sorts, filters and pages them."""

from __future__ import annotations

import datetime
import re
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils.text import slugify
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.models import Document
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, PageViewRestriction
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from content.blocks import RecordingBlock
from content.models import EventIndexPage, EventKind, EventPage, EventSpeaker, HomePage
from content.segmentation import segment
from tests.conftest import activate_totp, make_user

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
NOW = datetime.datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 2026-06-01 12:00 in Beijing
VIDEO_URL = "https://video.example.com/watch/salon-2026"

pytestmark = pytest.mark.django_db


def beijing(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BEIJING)


def make_index() -> EventIndexPage:
    """The events index: the publishing migration creates it; build it where it is missing."""
    existing = EventIndexPage.objects.first()
    if existing:
        return existing
    home = HomePage.objects.get()
    return home.add_child(instance=EventIndexPage(title="活动", slug="events", intro="沙龙与峰会"))


def make_event(
    index: EventIndexPage,
    title: str,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    **fields: object,
) -> EventPage:
    fields.setdefault("kind", EventKind.SALON)
    fields.setdefault("venue", "国际会议中心")
    fields.setdefault("slug", slugify(title, allow_unicode=True))
    page = EventPage(
        title=title, start=start, end=end or start + datetime.timedelta(hours=3), **fields
    )
    return index.add_child(instance=page)


@pytest.fixture
def index() -> EventIndexPage:
    return make_index()


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded documents and images go to a throw-away folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def cache_embed(url: str) -> None:
    """What Wagtail would fetch from the video site; tests have no network."""
    Embed.objects.create(
        url=url,
        hash=get_embed_hash(url),
        type="video",
        html='<iframe src="https://video.example.com/embed/salon-2026" title="回放"></iframe>',
        provider_name="Example video",
    )


# Where events live


def test_the_event_index_is_created_under_the_home_page_only(wagtail_asserts):
    wagtail_asserts.assertCanCreateAt(HomePage, EventIndexPage)
    wagtail_asserts.assertCanNotCreateAt(Page, EventIndexPage)
    wagtail_asserts.assertCanNotCreateAt(EventIndexPage, EventIndexPage)


def test_there_is_at_most_one_event_index():
    home = HomePage.objects.get()
    make_index()  # the publishing migration already made one; never a second
    assert EventIndexPage.objects.count() == 1
    assert not EventIndexPage.can_create_at(home)


def test_events_are_created_under_the_event_index_only(wagtail_asserts):
    wagtail_asserts.assertCanCreateAt(EventIndexPage, EventPage)
    wagtail_asserts.assertCanNotCreateAt(HomePage, EventPage)
    wagtail_asserts.assertCanNotCreateAt(EventPage, EventPage)
    assert EventIndexPage.allowed_subpage_models() == [EventPage]


# Trainers create events through the Wagtail admin form


@pytest.fixture
def editor(client, media):
    """The client, signed in as a superuser editing in the Wagtail admin."""
    admin = make_user("editor@example.com", "周编辑", is_staff=True, is_superuser=True)
    activate_totp(admin)
    client.force_login(admin)
    return client


def form_data(**overrides: object) -> dict:
    data = {
        "title": "2026 合规催收沙龙（上海）",
        "slug": "shanghai-salon-2026",
        "kind": "salon",
        "start": "2026-12-12 14:00",
        "end": "2026-12-12 17:30",
        "city": "上海",
        "venue": "国际会议中心 3 楼",
        "online_url": "",
        "intro": "新版治安管理处罚法施行后的催收合规。",
        "speakers": inline_formset(
            [{"name": "陈律师", "title": "合规总监", "bio": "执业十五年。", "photo": ""}]
        ),
        "agenda": streamfield(
            [
                (
                    "item",
                    {
                        "time": "14:00",
                        "title": "开场",
                        "speaker": "陈律师",
                        "description": "",
                    },
                )
            ]
        ),
        "materials": streamfield([]),
        "recap": rich_text(""),
        "sessions": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def add_url(index: EventIndexPage) -> str:
    return reverse("wagtailadmin_pages:add", args=["content", "eventpage", index.pk])


def test_a_trainer_can_create_an_event_with_speakers_agenda_and_materials(
    index, wagtail_asserts, editor
):
    document = Document.objects.create(
        title="讲义", file=ContentFile(b"%PDF-1.4 slides", name="slides.pdf")
    )
    cache_embed(VIDEO_URL)
    materials = streamfield(
        [
            ("slides", {"document": str(document.pk), "title": "讲义"}),
            ("recording", {"embed": VIDEO_URL, "file": "", "title": "回放"}),
        ]
    )
    wagtail_asserts.assertCanCreate(index, EventPage, form_data(materials=materials))

    event = EventPage.objects.get(slug="shanghai-salon-2026")
    assert event.live
    # Entered in the admin as Beijing time, stored as the same instant.
    assert event.start == beijing(2026, 12, 12, 14, 0)
    assert event.end == beijing(2026, 12, 12, 17, 30)
    assert [s.name for s in event.speakers.all()] == ["陈律师"]
    assert event.agenda[0].value["title"] == "开场"
    assert event.agenda[0].value["time"] == datetime.time(14, 0)
    assert [block.block_type for block in event.materials] == ["slides", "recording"]
    assert event.materials[0].value["document"] == document
    assert event.materials[1].value["embed"].url == VIDEO_URL


def test_an_event_with_only_an_online_link_is_accepted(index, wagtail_asserts, editor):
    data = form_data(venue="", city="", online_url="https://meeting.example.com/j/123")
    wagtail_asserts.assertCanCreate(index, EventPage, data)


def post_and_get_errors(client, index: EventIndexPage, data: dict) -> dict:
    data["action-publish"] = "action-publish"
    response = client.post(add_url(index), data)
    assert response.status_code == 200  # the form again, not a redirect
    assert not EventPage.objects.exists()
    return response.context["form"].errors


def test_the_admin_refuses_an_event_that_ends_before_it_starts(client, index, editor):
    errors = post_and_get_errors(client, index, form_data(end="2026-12-12 13:00"))
    assert "end" in errors


def test_the_admin_refuses_an_event_with_neither_venue_nor_online_link(client, index, editor):
    errors = post_and_get_errors(client, index, form_data(venue="", online_url=""))
    assert "venue" in errors
    assert "online_url" in errors


def test_the_admin_refuses_a_recording_with_both_an_embed_and_a_file(client, index, editor):
    cache_embed(VIDEO_URL)
    video = Document.objects.create(
        title="回放", file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="talk.mp4")
    )
    materials = streamfield(
        [("recording", {"embed": VIDEO_URL, "file": str(video.pk), "title": ""})]
    )
    errors = post_and_get_errors(client, index, form_data(materials=materials))
    assert "materials" in errors


# Validation


def unsaved_event(**fields: object) -> EventPage:
    values = {
        "title": "峰会",
        "slug": "summit",
        "kind": EventKind.SUMMIT,
        "start": beijing(2026, 12, 12, 9),
        "end": beijing(2026, 12, 13, 17),
        "venue": "国际会议中心",
    }
    values.update(fields)
    return EventPage(**values)


def test_an_event_must_end_after_it_starts():
    for end in (beijing(2026, 12, 12, 8), beijing(2026, 12, 12, 9)):
        with pytest.raises(ValidationError) as caught:
            unsaved_event(end=end).clean()
        assert list(caught.value.message_dict) == ["end"]


def test_an_event_needs_a_venue_or_an_online_link():
    with pytest.raises(ValidationError) as caught:
        unsaved_event(venue="", online_url="").clean()
    assert set(caught.value.message_dict) == {"venue", "online_url"}
    unsaved_event(venue="", online_url="https://meeting.example.com/j/1").clean()
    unsaved_event(venue="会议中心", online_url="").clean()


def test_a_recording_needs_exactly_one_of_embed_and_file():
    cache_embed(VIDEO_URL)
    video = Document.objects.create(
        title="回放", file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="talk.mp4")
    )
    block = RecordingBlock()
    try:
        for embed, file in ((VIDEO_URL, video.pk), (None, None)):
            value = block.to_python({"embed": embed, "file": file, "title": ""})
            with pytest.raises(StructBlockValidationError):
                block.clean(value)
        for embed, file in ((VIDEO_URL, None), (None, video.pk)):
            block.clean(block.to_python({"embed": embed, "file": file, "title": ""}))
    finally:
        video.file.delete(save=False)


# Rendering an event page


@pytest.fixture
def slides(media) -> Document:
    return Document.objects.create(title="讲义", file=ContentFile(b"x" * 2048, name="slides.pdf"))


@pytest.fixture
def video(media) -> Document:
    return Document.objects.create(
        title="现场录像", file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="talk.mp4")
    )


@pytest.fixture
def event(index, slides, video) -> EventPage:
    """A salon with speakers (one with a photo), an agenda, slides, an embedded recording, a
    recording file and a recap."""
    cache_embed(VIDEO_URL)
    photo = Image.objects.create(title="陈律师", file=get_test_image_file())
    return make_event(
        index,
        "2026 合规催收沙龙（上海）",
        beijing(2026, 12, 12, 14, 0),
        beijing(2026, 12, 12, 17, 30),
        slug="shanghai-salon-2026",
        city="上海",
        venue="国际会议中心 3 楼",
        online_url="https://meeting.example.com/j/123",
        intro="新版治安管理处罚法施行后的催收合规。",
        agenda=[
            ("item", {"time": datetime.time(14), "title": "开场致辞", "speaker": "陈律师"}),
            (
                "item",
                {"time": datetime.time(15, 30), "title": "案例研讨", "description": "分组"},
            ),
        ],
        materials=[
            ("slides", {"document": slides, "title": "讲义（PDF）"}),
            ("recording", {"embed": VIDEO_URL, "title": "直播回放"}),
            ("recording", {"file": video, "title": "现场录像"}),
        ],
        recap="<p>与会者讨论了<b>催收非法债务罪</b>的边界。</p>",
        speakers=[
            EventSpeaker(name="陈律师", title="合规总监", photo=photo),
            EventSpeaker(name="王芳", title="培训师"),
        ],
    )


def test_it_renders_for_anonymous_visitors(index, wagtail_asserts, event):
    wagtail_asserts.assertPageIsRenderable(event)
    wagtail_asserts.assertPageIsRenderable(index)


def test_it_shows_kind_time_in_beijing_place_and_calendar_link(client, event):
    with mock.patch("content.models.events.timezone.now", return_value=NOW):
        response = client.get(event.url)
    assertContains(response, '<span class="event-badge event-badge-salon">')
    assertContains(response, "2026年12月12日 14:00–17:30")
    assertContains(response, 'datetime="2026-12-12T14:00:00+08:00"')
    assertContains(response, "国际会议中心 3 楼, 上海")
    assertContains(response, 'href="https://meeting.example.com/j/123"')
    assertContains(response, f'href="{event.url}ics/"')
    assertContains(response, 'href="/static/css/events.css"')
    assertNotContains(response, "event-status")  # neither ended nor happening now


def test_the_zone_is_stated(client, event):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with mock.patch("content.models.events.timezone.now", return_value=NOW):
        response = client.get(event.url)
    assertContains(response, "Dec. 12, 2026 14:00–17:30 (Beijing time)")
    assertContains(response, "Salon")
    assertContains(response, "Add to calendar (.ics)")


def test_a_multi_day_event_shows_both_dates(client, event):
    event.end = beijing(2026, 12, 13, 17, 0)
    event.save_revision().publish()
    response = client.get(event.url)
    assertContains(response, "2026年12月12日 14:00 – 2026年12月13日 17:00")


def test_it_shows_speakers_with_named_photos_agenda_and_materials(client, slides, video, event):
    response = client.get(event.url)
    html = response.content.decode()
    assertInHTML("<h3>陈律师</h3>", html)
    assert re.search(r'<img [^>]*alt="陈律师"', html)
    assertContains(response, "合规总监")
    assertContains(response, "王芳")
    assert html.index("开场致辞") < html.index("案例研讨")
    assertContains(response, '<time class="agenda-time" datetime="15:30">15:30</time>')
    assertContains(response, f'href="{slides.url}"')
    assertContains(response, "(PDF, 2.0")  # file type and size of the slides
    assertContains(response, 'src="https://video.example.com/embed/salon-2026"')
    assertContains(response, f'<video controls preload="metadata" src="{video.url}">')


def test_headings_are_in_order(client, event):
    html = client.get(event.url).content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1
    assert levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


def test_a_past_event_says_ended_and_puts_the_recap_first(client, event):
    later = event.end + datetime.timedelta(days=1)
    with mock.patch("content.models.events.timezone.now", return_value=later):
        response = client.get(event.url)
    html = response.content.decode()
    assertContains(response, '<span class="event-status">')
    assertContains(response, "<b>催收非法债务罪</b>")
    assert html.index('id="recap-heading"') < html.index('id="speakers-heading"')


def test_an_event_under_way_is_marked_as_happening_now(client, event):
    during = event.start + datetime.timedelta(hours=1)
    with mock.patch("content.models.events.timezone.now", return_value=during):
        response = client.get(event.url)
    assertContains(response, "event-status-live")


def test_a_draft_event_is_not_shown(client, index, event):
    draft = make_event(index, "draft", beijing(2026, 12, 20, 14), live=False)
    assert client.get(draft.url or "/events/draft/").status_code == 404
    assert client.get("/events/draft/ics/").status_code == 404


def test_search_text_covers_title_place_speakers_agenda_and_recap(event):
    text = event.search_text()
    for word in ("合规", "上海", "会议", "律师", "王", "芳", "研讨", "债务"):
        assert word in text.split()
    assert "<b>" not in text
    # Publishing from the admin saves the page again once its speakers exist.
    event.save_revision().publish()
    for query in ("案例研讨", "王芳", "催收非法债务罪"):
        results = EventPage.objects.live().search(segment(query), operator="and")
        assert [page.pk for page in results] == [event.pk], query
    assert list(EventPage.objects.live().search(segment("信用卡"))) == []


# The events listing


def get(client, index: EventIndexPage, **params: str):
    with mock.patch("content.models.events.timezone.now", return_value=NOW):
        response = client.get(index.url, params)
    assert response.status_code == 200
    return response


def titles(events) -> list[str]:
    return [event.title for event in events]


def test_it_lists_upcoming_soonest_first_and_past_newest_first(client, index):
    make_event(index, "later", beijing(2026, 9, 1, 14))
    make_event(index, "long-ago", beijing(2025, 3, 1, 14))
    make_event(index, "sooner", beijing(2026, 6, 20, 14))
    make_event(index, "recent", beijing(2026, 5, 1, 14))
    # Began at 10:00 Beijing time, ends at 13:00: still on when "now" is 12:00.
    make_event(index, "under-way", beijing(2026, 6, 1, 10), beijing(2026, 6, 1, 13))
    response = get(client, index)
    assert titles(response.context["upcoming_events"]) == ["under-way", "sooner", "later"]
    assert titles(response.context["past_events"]) == ["recent", "long-ago"]
    assertContains(response, "event-status-live", count=1)


def test_it_filters_by_kind(client, index):
    make_event(index, "salon-next", beijing(2026, 7, 1, 14), kind=EventKind.SALON)
    make_event(index, "summit-next", beijing(2026, 8, 1, 9), kind=EventKind.SUMMIT)
    make_event(index, "summit-past", beijing(2025, 8, 1, 9), kind=EventKind.SUMMIT)
    response = get(client, index, kind="summit")
    assert titles(response.context["upcoming_events"]) == ["summit-next"]
    assert titles(response.context["past_events"]) == ["summit-past"]
    assertContains(response, '<option value="summit" selected>', html=False)


def test_it_filters_by_year_in_beijing_time(client, index):
    # 00:30 on 1 January in Beijing is still 31 December in UTC: it belongs to 2026.
    make_event(index, "new-year", beijing(2026, 1, 1, 0, 30), beijing(2026, 1, 1, 2))
    make_event(index, "old-year", beijing(2025, 12, 31, 20), beijing(2025, 12, 31, 23))
    make_event(index, "next", beijing(2026, 7, 1, 14))
    response = get(client, index, year="2026")
    assert titles(response.context["upcoming_events"]) == ["next"]
    assert titles(response.context["past_events"]) == ["new-year"]
    assert response.context["years"] == [2026, 2025]
    assertContains(response, '<option value="2026" selected>')


def test_kind_and_year_combine(client, index):
    make_event(index, "salon-2025", beijing(2025, 7, 1, 14), kind=EventKind.SALON)
    make_event(index, "summit-2025", beijing(2025, 8, 1, 9), kind=EventKind.SUMMIT)
    make_event(index, "salon-2024", beijing(2024, 7, 1, 14), kind=EventKind.SALON)
    response = get(client, index, kind="salon", year="2025")
    assert titles(response.context["past_events"]) == ["salon-2025"]


def test_invalid_filters_are_ignored_and_the_form_shows_none_applied(client, index, subtests):
    make_event(index, "salon-next", beijing(2026, 7, 1, 14))
    make_event(index, "summit-past", beijing(2025, 8, 1, 9), kind=EventKind.SUMMIT)
    for params in (
        {"kind": "webinar", "year": "soon"},
        {"kind": "", "year": ""},
        {"kind": "SALON", "year": "20261"},
        {"year": "0000"},
        {"year": "-2026"},
    ):
        with subtests.test(params=params):
            response = get(client, index, **params)
            assert response.context["selected_kind"] == ""
            assert response.context["selected_year"] is None
            assert titles(response.context["upcoming_events"]) == ["salon-next"]
            assert titles(response.context["past_events"]) == ["summit-past"]
            assertContains(response, '<option value="" selected>', count=2)
            assertNotContains(response, "Clear filters")


def test_a_year_without_events_is_shown_as_applied_with_empty_lists(client, index):
    make_event(index, "next", beijing(2026, 7, 1, 14))
    response = get(client, index, year="1999")
    assert list(response.context["upcoming_events"]) == []
    assert list(response.context["past_events"]) == []
    assertContains(response, '<option value="1999" selected>')


def test_past_events_are_paginated_by_ten(client, index):
    for day in range(1, 13):
        make_event(index, f"past-{day:02d}", beijing(2025, 3, day, 14))
    first = get(client, index)
    assert titles(first.context["past_events"]) == [f"past-{d:02d}" for d in range(12, 2, -1)]
    assertContains(first, 'href="?page=2#past-heading"')
    second = get(client, index, page="2")
    assert titles(second.context["past_events"]) == ["past-02", "past-01"]
    assertContains(second, 'href="?page=1#past-heading"')


def test_bad_page_numbers_fall_back_to_a_real_page(client, index):
    for day in range(1, 13):
        make_event(index, f"past-{day:02d}", beijing(2025, 3, day, 14))
    assert get(client, index, page="abc").context["past_events"].number == 1
    assert get(client, index, page="0").context["past_events"].number == 2
    assert get(client, index, page="99").context["past_events"].number == 2
    assert get(client, index, page="-1").context["past_events"].number == 2


def test_page_links_keep_the_applied_filters_and_drop_invalid_ones(client, index):
    for day in range(1, 13):
        make_event(index, f"past-{day:02d}", beijing(2025, 3, day, 14))
    response = get(client, index, kind="salon", year="2025", bogus="1")
    assertContains(response, 'href="?kind=salon&amp;year=2025&amp;page=2#past-heading"')
    response = get(client, index, kind="nonsense")
    assertContains(response, 'href="?page=2#past-heading"')


def test_drafts_unpublished_and_private_events_are_not_listed(client, index):
    make_event(index, "published", beijing(2026, 7, 1, 14))
    make_event(index, "draft", beijing(2026, 7, 2, 14), live=False)
    withdrawn = make_event(index, "withdrawn", beijing(2026, 7, 3, 14))
    withdrawn.unpublish()
    private = make_event(index, "private", beijing(2026, 7, 4, 14))
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    response = get(client, index)
    assert titles(response.context["upcoming_events"]) == ["published"]
    assertNotContains(response, "withdrawn")
    assert client.get("/events/withdrawn/").status_code == 404


def test_anonymous_visitors_see_the_list_and_each_event(client, index):
    event = make_event(index, "open-salon", beijing(2026, 7, 1, 14))
    response = get(client, index)
    assertContains(response, f'href="{event.url}"')
    assert client.get(event.url).status_code == 200


def test_the_listing_uses_a_constant_number_of_queries(client, index):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            get(client, index)
        return len(queries)

    for day in range(1, 3):
        make_event(index, f"a-{day}", beijing(2025, 3, day, 14))
        make_event(index, f"b-{day}", beijing(2026, 9, day, 14))
    count_queries()  # the first request also loads the site's root paths
    small = count_queries()
    for day in range(3, 9):
        make_event(index, f"a-{day}", beijing(2025, 3, day, 14))
        make_event(index, f"b-{day}", beijing(2026, 9, day, 14))
    assert count_queries() == small
