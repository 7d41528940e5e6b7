"""Salons (沙龙) and summits (峰会): where collectors meet trainers in person or online.

Times are stored aware (UTC in the database) and always shown in Beijing time with the zone
stated, whatever the visitor's device says, because every event is organised in China.
"""

from __future__ import annotations

import datetime
import html
import re
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import strip_tags
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..attendance.admin_forms import EventPageForm
from ..blocks import AgendaItemBlock, RecordingBlock, SlidesBlock
from ..headings import TranslatedHeadingMixin
from ..segmentation import segment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .sessions import EventSession

EVENT_TIMEZONE = ZoneInfo("Asia/Shanghai")
PAST_EVENTS_PER_PAGE = 10
_YEAR = re.compile(r"[0-9]{4}")


class EventKind(models.TextChoices):
    SALON = "salon", _("Salon")
    SUMMIT = "summit", _("Summit")


class EventIndexPage(TranslatedHeadingMixin, Page):
    """The list of salons and summits: what is coming up, and the record of what took place.

    Upcoming events come first because that is what a collector opens the page for; past ones
    stay listed (with their recaps and recordings) as training material.
    """

    default_titles = ("活动", "Events")
    heading_label = pgettext_lazy("events index heading", "Events")

    intro = models.CharField(
        _("introduction"),
        max_length=250,
        blank=True,
        help_text=_("One or two sentences under the title."),
    )

    content_panels = Page.content_panels + ["intro"]
    search_fields = Page.search_fields
    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.EventPage"]
    max_count = 1

    class Meta:
        verbose_name = _("event index page")

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        events = EventPage.objects.child_of(self).live().public()
        years = [
            moment.year
            for moment in events.datetimes("start", "year", order="DESC", tzinfo=EVENT_TIMEZONE)
        ]

        # Unknown values are dropped rather than rejected: a stale or hand-edited link still
        # shows a useful list, and the form below shows what was actually applied.
        kind = request.GET.get("kind", "")
        if kind not in EventKind.values:
            kind = ""
        year = parse_year(request.GET.get("year", ""))
        if kind:
            events = events.filter(kind=kind)
        if year is not None:
            events = events.filter(
                start__gte=datetime.datetime(year, 1, 1, tzinfo=EVENT_TIMEZONE),
                start__lt=datetime.datetime(year + 1, 1, 1, tzinfo=EVENT_TIMEZONE),
            )
            if year not in years:
                years = sorted([*years, year], reverse=True)

        # An event that has begun but not ended is still "upcoming" for anyone about to join it.
        now = timezone.now()
        upcoming = events.filter(end__gt=now).order_by("start", "pk")
        past = events.filter(end__lte=now).order_by("-start", "-pk")
        past_page = Paginator(past, PAST_EVENTS_PER_PAGE).get_page(request.GET.get("page"))

        filter_query = QueryDict(mutable=True)
        if kind:
            filter_query["kind"] = kind
        if year is not None:
            filter_query["year"] = str(year)

        context.update(
            upcoming_events=upcoming,
            past_events=past_page,
            kinds=EventKind.choices,
            years=years,
            selected_kind=kind,
            selected_year=year,
            filter_query=filter_query,
        )
        return context


def parse_year(raw: str) -> int | None:
    """A four-digit year from a query string, or None for anything else."""
    if not _YEAR.fullmatch(raw or ""):
        return None
    year = int(raw)
    return year if datetime.MINYEAR <= year < datetime.MAXYEAR else None


class EventPage(RoutablePageMixin, Page):
    """One salon or summit: when and where, who speaks, the programme, and afterwards the
    slides, recordings and a recap for those who could not attend.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    start = models.DateTimeField(_("starts"), help_text=_("Beijing time."))
    end = models.DateTimeField(_("ends"), help_text=_("Beijing time."))
    city = models.CharField(_("city"), max_length=100, blank=True)
    venue = models.CharField(
        _("venue"), max_length=255, blank=True, help_text=_("Building, address and room.")
    )
    online_url = models.URLField(
        _("online link"), blank=True, help_text=_("Where to join online, if anywhere.")
    )
    intro = models.CharField(
        _("introduction"),
        max_length=250,
        blank=True,
        help_text=_("One or two sentences: what the event is about and who it is for."),
    )
    agenda = StreamField([("item", AgendaItemBlock())], blank=True, verbose_name=_("agenda"))
    materials = StreamField(
        [("slides", SlidesBlock()), ("recording", RecordingBlock())],
        blank=True,
        verbose_name=_("materials"),
    )
    attendance_certificates = models.BooleanField(
        _("certificates of attendance"),
        default=False,
        help_text=_(
            "Attendees receive a one-page certificate of attendance, verifiable like any "
            "certificate, when a session is closed."
        ),
    )
    recap = RichTextField(
        _("recap"),
        blank=True,
        features=["h3", "bold", "italic", "link", "ol", "ul"],
        help_text=_("What was said and decided, written after the event."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            ["kind", FieldRowPanel(["start", "end"]), "intro"],
            heading=_("Event"),
        ),
        MultiFieldPanel(["city", "venue", "online_url"], heading=_("Place")),
        MultiFieldPanel(
            [
                InlinePanel("sessions", heading=_("Sessions"), label=_("Session")),
                "attendance_certificates",
            ],
            heading=_("Registration and attendance"),
        ),
        InlinePanel("speakers", heading=_("Speakers"), label=_("Speaker")),
        FieldPanel("agenda"),
        FieldPanel("materials"),
        FieldPanel("recap"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("search_text"),
        index.FilterField("kind"),
        index.FilterField("start"),
    ]
    parent_page_types = ["content.EventIndexPage"]
    subpage_types: list[str] = []
    base_form_class = EventPageForm

    class Meta:
        verbose_name = _("event page")
        indexes = [models.Index(fields=["start"], name="eventpage_start_idx")]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("The event must end after it starts.")
        if not self.venue and not self.online_url:
            message = _("Give a venue, an online link, or both.")
            errors["venue"] = message
            errors["online_url"] = message
        if errors:
            raise ValidationError(errors)

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        # Same app, but the service module imports the models: imported here, not at the top.
        from ..attendance.registration import session_rows

        context["session_rows"] = session_rows(self, getattr(request, "user", None))
        return context

    # Display helpers -------------------------------------------------------------------------

    @property
    def local_start(self) -> datetime.datetime:
        return timezone.localtime(self.start, EVENT_TIMEZONE)

    @property
    def local_end(self) -> datetime.datetime:
        return timezone.localtime(self.end, EVENT_TIMEZONE)

    def when_display(self) -> str:
        """E.g. "2026年12月12日 14:00–17:30（北京时间）"; both dates when it spans several days."""
        start, end = self.local_start, self.local_end
        if start.date() == end.date():
            span = f"{date_format(start)} {time_format(start, 'H:i')}–{time_format(end, 'H:i')}"
        else:
            span = (
                f"{date_format(start)} {time_format(start, 'H:i')} – "
                f"{date_format(end)} {time_format(end, 'H:i')}"
            )
        return gettext("%(when)s (Beijing time)") % {"when": span}

    @property
    def is_past(self) -> bool:
        return self.end <= timezone.now()

    @property
    def is_ongoing(self) -> bool:
        return self.start <= timezone.now() < self.end

    @property
    def place(self) -> str:
        """Venue and city as one line, e.g. "国际会议中心 3 楼, 上海"."""
        return ", ".join(part for part in (self.venue, self.city) if part)

    def ics_url(self, request: HttpRequest | None = None) -> str:
        return (self.get_url(request) or "") + self.reverse_subpage("ics").lstrip("/")

    # Search ----------------------------------------------------------------------------------

    def search_text(self) -> str:
        """Title, place, speakers, agenda and recap, segmented into words for Chinese search."""
        parts = [self.title, self.intro, self.city, self.venue]
        parts += [speaker.name for speaker in self.speakers.all()]
        parts += [item.value["title"] for item in self.agenda if item.block_type == "item"]
        parts.append(html.unescape(strip_tags(self.recap)))
        return segment(" ".join(part for part in parts if part))

    # Calendar download ---------------------------------------------------------------------

    # Wagtail's page URLs are path segments of word characters, so the file name travels in the
    # Content-Disposition header rather than in a ".ics" suffix the URL pattern would refuse.
    @path("ics/", name="ics")
    def ics(self, request: HttpRequest) -> HttpResponse:
        """The event as an iCalendar file, for "Add to calendar" on phones and desktops."""
        calendar = event_calendar(self, request.build_absolute_uri(self.get_url(request)))
        response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"{self.slug}.ics"
        )
        return response

    @property
    def ics_uid(self) -> str:
        """Stable across downloads and edits, so a calendar updates the entry instead of
        adding a second one."""
        host = urlparse(settings.SITE_BASE_URL).hostname or "sunshine-academy"
        return f"event-{self.pk}@{host}"


def event_calendar(event: EventPage, url: str) -> Calendar:
    """A one-event calendar with Beijing-time start and end and the zone's definition."""
    return _calendar(
        uid=event.ics_uid,
        stamp=event.last_published_at,
        start=event.local_start,
        end=event.local_end,
        summary=event.title,
        location=event.place or event.online_url,
        url=url,
        description=_calendar_description(event.intro, event.venue, event.online_url),
    )


def session_calendar(session: EventSession, url: str) -> Calendar:
    """One session of an event as a calendar entry: the session's own time, place and link
    (what a registered attendee adds), with a UID of its own so it updates in place."""
    event = session.page
    start = timezone.localtime(session.start, EVENT_TIMEZONE)
    end = timezone.localtime(session.end, EVENT_TIMEZONE)
    summary = f"{event.title} · {session.title}" if session.title else event.title
    host = urlparse(settings.SITE_BASE_URL).hostname or "sunshine-academy"
    return _calendar(
        uid=f"event-{event.pk}-session-{session.pk}@{host}",
        stamp=event.last_published_at,
        start=start,
        end=end,
        summary=summary,
        location=session.venue or session.online_url,
        url=url,
        description=_calendar_description(event.intro, session.venue, session.online_url),
    )


def _calendar_description(intro: str, venue: str, online_url: str) -> str:
    description = intro
    if venue and online_url:
        online = gettext("Online: %(url)s") % {"url": online_url}
        description = f"{description}\n\n{online}" if description else online
    return description


def _calendar(
    *,
    uid: str,
    stamp: datetime.datetime | None,
    start: datetime.datetime,
    end: datetime.datetime,
    summary: str,
    location: str,
    url: str,
    description: str,
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Sunshine Academy//Events//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")

    vevent = CalendarEvent()
    vevent.add("uid", uid)
    # DTSTAMP is when this information was last revised: the publication, not the download.
    vevent.add("dtstamp", (stamp or timezone.now()).astimezone(datetime.UTC))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", summary)
    vevent.add("location", location)
    vevent.add("url", url)
    if description:
        vevent.add("description", description)
    calendar.add_component(vevent)
    # Define Beijing time for the event's own dates only: short, and valid for any year.
    calendar.add_missing_timezones(
        first_date=start.date(), last_date=end.date() + datetime.timedelta(days=1)
    )
    return calendar


class EventSpeaker(Orderable):
    """A speaker at one event, in programme order. Kept per event rather than as a shared
    person record because titles and photos change from one event to the next."""

    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(
        _("job title"),
        max_length=200,
        blank=True,
        help_text=_("Job title and organisation, e.g. 合规总监，某某资产管理公司"),
    )
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = ["name", "title", "bio", "photo"]

    class Meta(Orderable.Meta):
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.name
