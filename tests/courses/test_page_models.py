"""Course page types: where they may live, that trainers can create them, and search text."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from pytest_django.asserts import assertContains, assertNotContains
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from content.models import HomePage, Regulation
from content.segmentation import segment_query
from courses.models import CourseIndexPage, CoursePage, Enrolment, LessonPage
from lms.accounts.models import User
from tests.conftest import PASSWORD, activate_totp

from .pages import add_lesson, course_index, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user):
    """The superuser, with TOTP set up as staff must have it."""
    activate_totp(admin_user)
    return admin_user


def test_the_tree_is_home_then_catalogue_then_courses_then_lessons(wagtail_asserts):
    wagtail_asserts.assertAllowedParentPageTypes(CourseIndexPage, {HomePage})
    wagtail_asserts.assertAllowedSubpageTypes(CourseIndexPage, {CoursePage})
    wagtail_asserts.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})
    wagtail_asserts.assertAllowedSubpageTypes(CoursePage, {LessonPage})
    wagtail_asserts.assertAllowedParentPageTypes(LessonPage, {CoursePage})
    wagtail_asserts.assertAllowedSubpageTypes(LessonPage, set())
    wagtail_asserts.assertCanNotCreateAt(HomePage, CoursePage)
    wagtail_asserts.assertCanNotCreateAt(Page, CourseIndexPage)


def test_there_is_only_one_catalogue():
    course_index()  # the publishing migration already made one; never a second
    assert CourseIndexPage.objects.count() == 1
    assert not CourseIndexPage.can_create_at(HomePage.objects.get())


def test_an_editor_creates_a_course_and_a_lesson_with_cited_law(client, admin, wagtail_asserts):
    call_command("load_regulations", verbosity=0)
    article = Regulation.objects.get(short_name="刑法", article_no="293-1")
    index = course_index()
    client.force_login(admin)

    wagtail_asserts.assertCanCreate(
        index,
        CoursePage,
        nested_form_data(
            {
                "title": "刑法与催收",
                "slug": "criminal-law",
                "summary": "哪些催收行为构成犯罪。",
                "topic": "criminal-law",
                "level": "intermediate",
                "estimated_minutes": "45",
                "objectives": "说出催收非法债务罪的构成\n识别寻衅滋事",
            }
        ),
    )
    course = CoursePage.objects.get(slug="criminal-law")
    assert course.live
    assert course.objective_list == ["说出催收非法债务罪的构成", "识别寻衅滋事"]

    wagtail_asserts.assertCanCreate(
        course,
        LessonPage,
        nested_form_data(
            {
                "title": "催收非法债务罪",
                "slug": "293-1",
                "intro": "了解第二百九十三条之一。",
                "estimated_minutes": "15",
                "body": streamfield(
                    [
                        ("heading", {"text": "条文", "level": "h2"}),
                        ("paragraph", rich_text("<p>先读条文，再看案例。</p>")),
                        ("citation", {"regulation": article.pk, "note": ""}),
                        (
                            "callout",
                            {
                                "kind": "dont",
                                "title": "不要恐吓",
                                "text": rich_text("<p>恐吓构成犯罪。</p>"),
                            },
                        ),
                    ]
                ),
            }
        ),
    )
    lesson = LessonPage.objects.get(slug="293-1")
    assert [block.block_type for block in lesson.body] == [
        "heading",
        "paragraph",
        "citation",
        "callout",
    ]
    assert lesson.body[2].value["regulation"] == article


def test_the_admin_forms_for_courses_and_lessons_open(client, admin):
    course = make_course(lessons=1)
    lesson = course.get_children().get()
    client.force_login(admin)
    for url in (
        f"/admin/pages/add/courses/coursepage/{course_index().pk}/",
        f"/admin/pages/add/courses/lessonpage/{course.pk}/",
        f"/admin/pages/{course.pk}/edit/",
        f"/admin/pages/{lesson.pk}/edit/",
    ):
        assert client.get(url).status_code == 200, url


def test_an_editor_previews_a_lesson_before_saving_it(client, admin):
    course = make_course(lessons=1)
    client.force_login(admin)
    url = f"/admin/pages/add/courses/lessonpage/{course.pk}/preview/"
    data = nested_form_data(
        {
            "title": "新课时",
            "slug": "new-lesson",
            "intro": "",
            "estimated_minutes": "10",
            "body": streamfield([("paragraph", rich_text("<p>尚未保存的正文</p>"))]),
        }
    )
    assert client.post(url, data).json() == {"is_valid": True, "is_available": True}
    response = client.get(url)
    assertContains(response, "尚未保存的正文")
    assertContains(response, "第1课")  # the course outline beside it


def test_the_pages_render(wagtail_asserts):
    course = make_course(lessons=1)
    lesson = course.get_children().specific().get()
    collector = User.objects.create_user(
        email="learner@example.com", password=PASSWORD, legal_name="张三"
    )
    Enrolment.objects.create(user=collector, course=course)
    wagtail_asserts.assertPageIsRenderable(course_index())
    wagtail_asserts.assertPageIsRenderable(course)
    wagtail_asserts.assertPageIsRenderable(course, user=collector)
    wagtail_asserts.assertPageIsRenderable(lesson, user=collector)
    wagtail_asserts.assertPageIsRenderable(lesson, accept_redirect=True)


def test_trainers_can_preview_a_draft_lesson_without_enrolling(client, admin):
    course = make_course(lessons=0)
    lesson = add_lesson(course, "草稿课", slug="draft", body=[("paragraph", "<p>草稿正文</p>")])
    lesson.unpublish()
    client.force_login(admin)
    response = client.get(f"/admin/pages/{lesson.pk}/view_draft/")
    assertContains(response, "草稿正文")
    assertNotContains(response, "/learning/complete/")


def test_a_lesson_is_found_by_words_in_its_blocks_and_cited_articles():
    call_command("load_regulations", verbosity=0)
    article = Regulation.objects.get(short_name="刑法", article_no="293-1")
    course = make_course(lessons=0)
    lesson = add_lesson(
        course,
        "沟通技巧",
        slug="talk",
        intro="如何安抚情绪",
        body=[
            ("paragraph", "<p>保持<b>冷静</b>的语气</p>"),
            (
                "dialogue",
                {
                    "debtor_line": "我要投诉你们",
                    "non_compliant_response": "你投诉也没用",
                    "why_non_compliant": "激化矛盾",
                    "breaks": None,
                    "compliant_response": "我记录下您的意见",
                },
            ),
            ("callout", {"kind": "do", "title": "先倾听", "text": "<p>再回应</p>"}),
            ("knowledge_check", {"question": "债务人情绪激动时怎么办？", "choices": []}),
            ("citation", {"regulation": article, "note": ""}),
        ],
    )
    text = lesson.search_text()
    for word in ("冷静", "投诉", "倾听", "情绪", "怎么办", "刑法", "安抚"):
        assert word in text.split(" ")
    assert "<b>" not in text
    assert "None" not in text

    for query in ("投诉", "第二百九十三条之一"):
        found = LessonPage.objects.live().search(segment_query(query))
        assert [page.pk for page in found] == [lesson.pk], query


def test_a_course_is_found_by_its_summary():
    course = make_course(summary="个人信息保护法要求最小必要", lessons=0)
    found = CoursePage.objects.live().search(segment_query("最小必要"))
    assert [page.pk for page in found] == [course.pk]
