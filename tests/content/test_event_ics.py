"""The "Add to calendar" download: one iCalendar event per page, read back with icalendar as a
phone's calendar app would read it."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from icalendar import Calendar
from wagtail.models import PageViewRestriction

from content.models import EventKind
from tests.content.test_events import beijing, make_event, make_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def index():
    return make_index()


@pytest.fixture
def event(index):
    return make_event(
        index,
        "2026 合规催收峰会",
        beijing(2026, 12, 12, 14, 0),
        beijing(2026, 12, 12, 17, 30),
        slug="summit-2026",
        kind=EventKind.SUMMIT,
        city="上海",
        venue="国际会议中心 3 楼",
        intro="新版治安管理处罚法施行后的催收合规。",
    )


def download(client, event):
    response = client.get(event.url + "ics/")
    assert response.status_code == 200
    return response


def read_vevent(response):
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1, events
    return calendar, events[0]


def test_it_is_an_ics_attachment_named_after_the_slug(client, event):
    response = download(client, event)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="summit-2026.ics"'


def test_times_are_the_events_times_in_beijing_with_the_zone_defined(client, event):
    response = download(client, event)
    calendar, vevent = read_vevent(response)
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start == event.start
    assert end == event.end
    assert start == datetime.datetime(2026, 12, 12, 6, 0, tzinfo=datetime.UTC)
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent["DTEND"].params["TZID"] == "Asia/Shanghai"
    lines = response.content.splitlines()
    assert b"DTSTART;TZID=Asia/Shanghai:20261212T140000" in lines
    assert b"DTEND;TZID=Asia/Shanghai:20261212T173000" in lines
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Asia/Shanghai"]
    assert zones[0].to_tz().utcoffset(start.replace(tzinfo=None)) == datetime.timedelta(hours=8)


def test_it_carries_title_place_link_and_introduction(client, event):
    calendar, vevent = read_vevent(download(client, event))
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar
    assert str(vevent["SUMMARY"]) == "2026 合规催收峰会"
    assert str(vevent["LOCATION"]) == "国际会议中心 3 楼, 上海"
    assert str(vevent["URL"]) == "http://testserver/events/summit-2026/"
    assert str(vevent["DESCRIPTION"]) == "新版治安管理处罚法施行后的催收合规。"
    assert "DTSTAMP" in vevent


def test_an_online_event_gives_its_link_as_the_location(client, index, event):
    online = make_event(
        index,
        "线上沙龙",
        beijing(2026, 11, 1, 19),
        slug="online-salon",
        venue="",
        online_url="https://meeting.example.com/j/123",
    )
    _, vevent = read_vevent(download(client, online))
    assert str(vevent["LOCATION"]) == "https://meeting.example.com/j/123"


def test_a_hybrid_event_mentions_the_online_link_in_the_description(client, event):
    event.online_url = "https://meeting.example.com/j/9"
    event.save_revision().publish()
    _, vevent = read_vevent(download(client, event))
    assert str(vevent["LOCATION"]) == "国际会议中心 3 楼, 上海"
    assert "https://meeting.example.com/j/9" in str(vevent["DESCRIPTION"])


@override_settings(SITE_BASE_URL="https://academy.example.cn")
def test_the_uid_is_stable_per_page_even_when_the_event_moves(client, index, event):
    _, first = read_vevent(download(client, event))
    assert str(first["UID"]) == f"event-{event.pk}@academy.example.cn"
    event.start = beijing(2026, 12, 19, 14)
    event.end = beijing(2026, 12, 19, 17)
    event.save_revision().publish()
    _, moved = read_vevent(download(client, event))
    assert str(moved["UID"]) == str(first["UID"])
    assert moved.decoded("DTSTART") == beijing(2026, 12, 19, 14)
    other = make_event(index, "另一场", beijing(2026, 10, 1, 14), slug="other")
    _, different = read_vevent(download(client, other))
    assert str(different["UID"]) != str(first["UID"])


def test_a_chinese_slug_still_gives_a_usable_file_name(client, index, event):
    event = make_event(index, "上海沙龙", beijing(2026, 10, 1, 14), slug="上海沙龙")
    response = download(client, event)
    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''%E4%B8%8A%E6%B5%B7%E6%B2%99%E9%BE%99.ics"
    )


def test_drafts_and_private_events_are_not_downloadable_by_visitors(client, index, event):
    draft = make_event(index, "draft", beijing(2026, 10, 1, 14), live=False)
    assert client.get("/events/draft/ics/").status_code == 404
    assert not draft.live
    PageViewRestriction.objects.create(page=event, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(event.url + "ics/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_times_round_trip_for_an_event_across_midnight_utc(client, index, event):
    # 07:00 Beijing is 23:00 UTC the day before: the file must not lose the date.
    early = make_event(index, "早场", beijing(2027, 1, 1, 7), beijing(2027, 1, 1, 9), slug="early")
    _, vevent = read_vevent(download(client, early))
    assert vevent.decoded("DTSTART").astimezone(ZoneInfo("UTC")) == datetime.datetime(
        2026, 12, 31, 23, 0, tzinfo=ZoneInfo("UTC")
    )
