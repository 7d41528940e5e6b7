"""Course pages: the catalogue, a course with its outline, and the lessons inside it.

A course's lessons are its live child pages in tree order, so trainers reorder, add and
unpublish lessons in the Wagtail admin and progress follows (see ``courses.progress``).
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.core.validators import MinValueValidator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from content.headings import TranslatedHeadingMixin
from content.segmentation import segment

from ..blocks import LessonStreamBlock, stream_text

# Anonymous visitors all see the same catalogue and outline, so browsers and shared caches may
# keep them briefly; anything personal is never stored.
PUBLIC_MAX_AGE = 300


class CourseTopic(models.TextChoices):
    BANKING_RULES = "banking-rules", _("Banking rules")
    PUBLIC_SECURITY_LAW = "public-security-law", _("Public Security Administration Punishments Law")
    CRIMINAL_LAW = "criminal-law", _("Criminal law")
    PERSONAL_INFORMATION = "personal-information", _("Personal information protection")
    DE_ESCALATION = "de-escalation", _("De-escalation")


class CourseLevel(models.TextChoices):
    FOUNDATION = "foundation", _("Foundation")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


def set_cache_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Public for anonymous visitors (identical for all of them), never stored for a user.

    A page that shows a one-off message (e.g. "You have signed out") is personal too.
    """
    if request.user.is_authenticated or len(get_messages(request)):
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        # The language comes from a cookie, and signing in changes the page.
        patch_vary_headers(response, ["Cookie"])
    return response


class CourseIndexPage(TranslatedHeadingMixin, Page):
    """The course catalogue: every published course, grouped by topic or filtered to one."""

    default_titles = ("课程", "Courses")
    heading_label = _("Courses")

    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = Page.content_panels + ["intro"]
    search_fields = Page.search_fields
    parent_page_types = ["content.HomePage"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("course index page")

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        courses = (
            CoursePage.objects.child_of(self)
            .live()
            .select_related("cover_image")
            .prefetch_related("cover_image__renditions")
        )
        topic = request.GET.get("topic", "")
        if topic in CourseTopic.values:
            courses = courses.filter(topic=topic)
        else:
            topic = ""
        courses = list(courses)
        by_topic: dict[str, list[CoursePage]] = {value: [] for value in CourseTopic.values}
        for course in courses:
            by_topic.setdefault(course.topic, []).append(course)
        context.update(
            courses=courses,
            current_topic=topic,
            topics=CourseTopic.choices,
            groups=[
                (value, label, by_topic[value])
                for value, label in CourseTopic.choices
                if by_topic[value]
            ],
        )
        return context

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return set_cache_headers(request, super().serve(request, *args, **kwargs))


class CoursePage(Page):
    """One course: what it teaches and its outline of lessons, open to everyone to read.

    Studying the lessons needs an account and an enrolment, so each learner's progress can be
    tracked and resumed.
    """

    topic = models.CharField(_("topic"), max_length=32, choices=CourseTopic.choices)
    level = models.CharField(
        _("level"), max_length=16, choices=CourseLevel.choices, default=CourseLevel.FOUNDATION
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("How long the whole course takes, in minutes."),
    )
    summary = models.CharField(
        _("summary"), max_length=250, help_text=_("One or two sentences for the catalogue.")
    )
    objectives = models.TextField(
        _("learning objectives"),
        blank=True,
        help_text=_("One objective per line, e.g. “Name the acts that make collection a crime”."),
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = Page.content_panels + [
        "summary",
        MultiFieldPanel(
            [FieldRowPanel(["topic", "level", "estimated_minutes"])], heading=_("Course")
        ),
        FieldPanel("objectives"),
        FieldPanel("cover_image"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("search_text"),
        index.FilterField("topic"),
        index.FilterField("level"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("course page")

    @property
    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]

    def search_text(self) -> str:
        """Title, summary and objectives, segmented into words for Chinese full-text search."""
        return segment(f"{self.title} {self.summary} {self.objectives}")

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from ..progress import course_outline, get_enrolment

        context = super().get_context(request, *args, **kwargs)
        user = request.user if request.user.is_authenticated else None
        outline = course_outline(self, user)
        context.update(
            lessons=outline.lessons,
            progress=outline.progress,
            enrolment=get_enrolment(user, self) if user else None,
        )
        return context

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return set_cache_headers(request, super().serve(request, *args, **kwargs))


class LessonPage(Page):
    """One lesson of a course: text, media, cited law, scenarios and knowledge checks.

    Only enrolled learners read it; everyone else is sent to sign in or asked to enrol first.
    """

    intro = models.CharField(
        _("introduction"),
        max_length=250,
        blank=True,
        help_text=_("What the learner will be able to do after this lesson."),
    )
    body = StreamField(LessonStreamBlock(), verbose_name=_("body"), blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), default=10, validators=[MinValueValidator(1)]
    )

    content_panels = Page.content_panels + ["intro", "estimated_minutes", "body"]
    search_fields = Page.search_fields + [index.SearchField("search_text")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("lesson page")

    def search_text(self) -> str:
        """Title, introduction and the text of every block, segmented for Chinese search."""
        return segment(f"{self.title} {self.intro} {stream_text(self.body)}")

    def get_course(self) -> CoursePage | None:
        """The course this lesson belongs to (its parent page): one query."""
        return CoursePage.objects.filter(path=self.path[: -self.steplen]).first()

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response = super().serve(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from ..progress import course_outline, get_enrolment

        context = super().get_context(request, *args, **kwargs)
        is_preview = getattr(request, "is_preview", False)
        course = self.get_course()
        if course is None or not (course.live or is_preview):
            raise Http404
        user = request.user if request.user.is_authenticated else None
        outline = course_outline(course, user)
        position = next((i for i, p in enumerate(outline.lessons) if p.pk == self.pk), None)
        previous_lesson = next_lesson = None
        if position is not None:
            if position > 0:
                previous_lesson = outline.lessons[position - 1]
            if position + 1 < len(outline.lessons):
                next_lesson = outline.lessons[position + 1]
        enrolment = get_enrolment(user, course) if user else None
        context.update(
            course=course,
            lessons=outline.lessons,
            progress=outline.progress,
            enrolment=enrolment,
            # Trainers and reviewers previewing a draft see the content without enrolling.
            can_study=enrolment is not None or is_preview,
            is_preview=is_preview,
            is_complete=position is not None and outline.lessons[position].is_done,
            lesson_number=position + 1 if position is not None else None,
            previous_lesson=previous_lesson,
            next_lesson=next_lesson,
        )
        return context
