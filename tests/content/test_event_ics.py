"""The "Add to calendar" download: one iCalendar event per page, read back with icalendar as a
phone's calendar app would read it."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.test import override_settings
from icalendar import Calendar
from wagtail.models import PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase

from content.models import EventKind
from tests.content.test_events import beijing, make_event, make_index


class EventCalendarDownloadTests(WagtailPageTestCase):
    def setUp(self):
        self.index = make_index()
        self.event = make_event(
            self.index,
            "2026 合规催收峰会",
            beijing(2026, 12, 12, 14, 0),
            beijing(2026, 12, 12, 17, 30),
            slug="summit-2026",
            kind=EventKind.SUMMIT,
            city="上海",
            venue="国际会议中心 3 楼",
            intro="新版治安管理处罚法施行后的催收合规。",
        )

    def download(self, event=None):
        event = event or self.event
        response = self.client.get(event.url + "ics/")
        self.assertEqual(response.status_code, 200)
        return response

    @staticmethod
    def vevent(response):
        calendar = Calendar.from_ical(response.content)
        events = calendar.walk("VEVENT")
        assert len(events) == 1, events
        return calendar, events[0]

    def test_it_is_an_ics_attachment_named_after_the_slug(self):
        response = self.download()
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="summit-2026.ics"')

    def test_times_are_the_events_times_in_beijing_with_the_zone_defined(self):
        response = self.download()
        calendar, vevent = self.vevent(response)
        start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
        self.assertEqual(start, self.event.start)
        self.assertEqual(end, self.event.end)
        self.assertEqual(start, datetime.datetime(2026, 12, 12, 6, 0, tzinfo=datetime.UTC))
        self.assertEqual(vevent["DTSTART"].params["TZID"], "Asia/Shanghai")
        self.assertEqual(vevent["DTEND"].params["TZID"], "Asia/Shanghai")
        lines = response.content.splitlines()
        self.assertIn(b"DTSTART;TZID=Asia/Shanghai:20261212T140000", lines)
        self.assertIn(b"DTEND;TZID=Asia/Shanghai:20261212T173000", lines)
        zones = calendar.walk("VTIMEZONE")
        self.assertEqual([str(zone["TZID"]) for zone in zones], ["Asia/Shanghai"])
        self.assertEqual(
            zones[0].to_tz().utcoffset(start.replace(tzinfo=None)), datetime.timedelta(hours=8)
        )

    def test_it_carries_title_place_link_and_introduction(self):
        calendar, vevent = self.vevent(self.download())
        self.assertEqual(str(calendar["VERSION"]), "2.0")
        self.assertIn("PRODID", calendar)
        self.assertEqual(str(vevent["SUMMARY"]), "2026 合规催收峰会")
        self.assertEqual(str(vevent["LOCATION"]), "国际会议中心 3 楼, 上海")
        self.assertEqual(str(vevent["URL"]), "http://testserver/events/summit-2026/")
        self.assertEqual(str(vevent["DESCRIPTION"]), "新版治安管理处罚法施行后的催收合规。")
        self.assertIn("DTSTAMP", vevent)

    def test_an_online_event_gives_its_link_as_the_location(self):
        online = make_event(
            self.index,
            "线上沙龙",
            beijing(2026, 11, 1, 19),
            slug="online-salon",
            venue="",
            online_url="https://meeting.example.com/j/123",
        )
        _, vevent = self.vevent(self.download(online))
        self.assertEqual(str(vevent["LOCATION"]), "https://meeting.example.com/j/123")

    def test_a_hybrid_event_mentions_the_online_link_in_the_description(self):
        self.event.online_url = "https://meeting.example.com/j/9"
        self.event.save_revision().publish()
        _, vevent = self.vevent(self.download())
        self.assertEqual(str(vevent["LOCATION"]), "国际会议中心 3 楼, 上海")
        self.assertIn("https://meeting.example.com/j/9", str(vevent["DESCRIPTION"]))

    @override_settings(SITE_BASE_URL="https://academy.example.cn")
    def test_the_uid_is_stable_per_page_even_when_the_event_moves(self):
        _, first = self.vevent(self.download())
        self.assertEqual(str(first["UID"]), f"event-{self.event.pk}@academy.example.cn")
        self.event.start = beijing(2026, 12, 19, 14)
        self.event.end = beijing(2026, 12, 19, 17)
        self.event.save_revision().publish()
        _, moved = self.vevent(self.download())
        self.assertEqual(str(moved["UID"]), str(first["UID"]))
        self.assertEqual(moved.decoded("DTSTART"), beijing(2026, 12, 19, 14))
        other = make_event(self.index, "另一场", beijing(2026, 10, 1, 14), slug="other")
        _, different = self.vevent(self.download(other))
        self.assertNotEqual(str(different["UID"]), str(first["UID"]))

    def test_a_chinese_slug_still_gives_a_usable_file_name(self):
        event = make_event(self.index, "上海沙龙", beijing(2026, 10, 1, 14), slug="上海沙龙")
        response = self.download(event)
        self.assertEqual(
            response["Content-Disposition"],
            "attachment; filename*=utf-8''%E4%B8%8A%E6%B5%B7%E6%B2%99%E9%BE%99.ics",
        )

    def test_drafts_and_private_events_are_not_downloadable_by_visitors(self):
        draft = make_event(self.index, "draft", beijing(2026, 10, 1, 14), live=False)
        self.assertEqual(self.client.get("/events/draft/ics/").status_code, 404)
        self.assertFalse(draft.live)
        PageViewRestriction.objects.create(
            page=self.event, restriction_type=PageViewRestriction.LOGIN
        )
        response = self.client.get(self.event.url + "ics/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/login/", response["Location"])

    def test_the_times_round_trip_for_an_event_across_midnight_utc(self):
        # 07:00 Beijing is 23:00 UTC the day before: the file must not lose the date.
        early = make_event(
            self.index, "早场", beijing(2027, 1, 1, 7), beijing(2027, 1, 1, 9), slug="early"
        )
        _, vevent = self.vevent(self.download(early))
        self.assertEqual(
            vevent.decoded("DTSTART").astimezone(ZoneInfo("UTC")),
            datetime.datetime(2026, 12, 31, 23, 0, tzinfo=ZoneInfo("UTC")),
        )
