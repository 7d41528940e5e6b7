"""The admin's 法规变更影响 pages, through HTTP: who may see them, the list of changes, and one
change with its texts side by side (character diff, escaped), its lessons and questions with
edit links and task states, its programmes and certificate counts. A GET only reads; missing
update tasks are opened by a POST."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from content.models import RegulationChange
from exams.certificates.impact import close_tasks, impact_of, summary
from exams.certificates.models import RegulationUpdateTask
from exams.certificates.textdiff import char_diff
from tests.conftest import signed_in
from tests.exams.certificate_factories import use_fast_pdf
from tests.factories import UserFactory

from .impact_factories import citation, make_article, make_world

pytestmark = pytest.mark.django_db

INDEX = "regulation_impact:index"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def world():
    return make_world(UserFactory.create_batch(1))


def change_url(change) -> str:
    return reverse("regulation_impact:change", args=[change.pk])


@pytest.mark.parametrize("role", ["trainer", "reviewer", "admin_user"])
def test_people_who_edit_lessons_or_questions_see_both_pages(client, request, role, world):
    signed_in(client, request.getfixturevalue(role))
    assert client.get(reverse(INDEX)).status_code == 200
    assert client.get(change_url(world.change)).status_code == 200


def test_the_menu_offers_the_page_to_trainers(client, trainer):
    html = signed_in(client, trainer).get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) in html


def test_an_auditor_gets_a_403_and_no_menu_item(client, auditor, world):
    signed_in(client, auditor)
    assert client.get(reverse(INDEX)).status_code == 403
    assert client.get(change_url(world.change)).status_code == 403
    assert reverse(INDEX) not in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_people_without_admin_access_are_turned_away(client, request, role, world):
    client.force_login(request.getfixturevalue(role))
    for url in (reverse(INDEX), change_url(world.change)):
        response = client.get(url)
        assert response.status_code in {302, 403}
        assert "测试条文" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(change_url(world.change))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_list_shows_changes_newest_first_with_counts(client, trainer, world):
    later = make_article("8", "v-later", "测试条文：更正后。")
    correction = RegulationChange.objects.create(
        kind="corrected", old=later, new=later, old_text="测试条文：更正前。", new_text=later.text
    )
    html = signed_in(client, trainer).get(reverse(INDEX)).content.decode()
    assert html.index(change_url(correction)) < html.index(change_url(world.change))
    row = html[html.index(change_url(world.change)) :].split("</tr>")[0]
    assert re.findall(r"<strong>(\d+)</strong>", row) == ["1", "1", "3", "1"]


def test_a_change_shows_the_texts_side_by_side_with_a_character_diff(client, trainer, world):
    html = signed_in(client, trainer).get(change_url(world.change)).content.decode()
    assert "测试条文：旧版本的措辞，罚款<del>五百</del>元。" in html.replace("<del>旧</del>", "旧")
    assert "<ins>一千</ins>" in html
    assert "<ins>新</ins>" in html


def test_it_lists_lessons_and_questions_with_edit_links_and_task_states(client, trainer, world):
    summary([world.change])  # what loading the change does
    html = signed_in(client, trainer).get(change_url(world.change)).content.decode()
    assert reverse("wagtailadmin_pages:edit", args=[world.lessons[0].pk]) in html
    assert reverse("exams_questions:edit", args=[world.questions[0].pk]) in html
    assert html.count("law-impact__tag--open") == 2
    for programme in (world.via_course, world.via_exam, world.via_certificates):
        assert programme.name in html
    assert world.untouched.name not in html


def test_an_updated_question_is_listed_as_done_with_who_did_it(client, trainer, world):
    impact_of(world.change, open_tasks=True)
    question = world.questions[0]
    question.regulation = world.new
    question.save()
    close_tasks(question, {world.new.pk}, by=trainer)
    html = signed_in(client, trainer).get(change_url(world.change)).content.decode()
    assert "law-impact__tag--done" in html
    assert trainer.legal_name in html


def test_every_text_is_escaped(client, trainer):
    article = make_article("6", "v-x", "测试<script>alert(1)</script>条文")
    change = RegulationChange.objects.create(
        kind="corrected",
        old=article,
        new=article,
        old_text="测试<b>旧</b>条文",
        new_text=article.text,
    )
    html = signed_in(client, trainer).get(change_url(change)).content.decode()
    assert "<script>" not in html and "<b>" not in html
    texts = re.sub(r"</?(ins|del)>", "", html)
    assert "测试&lt;script&gt;alert(1)&lt;/script&gt;条文" in texts
    assert "测试&lt;b&gt;旧&lt;/b&gt;条文" in texts


def test_an_unknown_change_is_a_404(client, trainer):
    assert signed_in(client, trainer).get("/admin/regulation-impact/999/").status_code == 404


def test_the_character_diff_marks_what_changed_and_nothing_else():
    old, new = char_diff("第四十二条 罚款五百元", "第五十条 罚款一千元<")
    assert old == "第<del>四</del>十<del>二</del>条 罚款<del>五百</del>元"
    assert new == "第<ins>五</ins>十条 罚款<ins>一千</ins>元<ins>&lt;</ins>"


# --- A GET only reads; a POST opens missing tasks (review 13, item 10) -------------------------


def test_opening_a_change_writes_nothing(client, trainer, world):
    signed_in(client, trainer)
    client.get(change_url(world.change))  # sessions, caches and content types settle
    with CaptureQueriesContext(connection) as queries:
        response = client.get(change_url(world.change))
    assert response.status_code == 200
    writes = [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert RegulationUpdateTask.objects.count() == 0


def test_missing_tasks_are_opened_by_a_post_and_the_button_goes(client, trainer, world):
    signed_in(client, trainer)
    html = client.get(change_url(world.change)).content.decode()
    assert 'method="post"' in html and "打开更新任务</button>" in html
    assert "law-impact__tag--open" not in html
    response = client.post(change_url(world.change))
    assert response.status_code == 302 and response["Location"] == change_url(world.change)
    assert RegulationUpdateTask.objects.count() == 2
    html = client.get(change_url(world.change)).content.decode()
    assert "已打开更新任务：2 项。" in html
    assert "打开更新任务</button>" not in html
    assert html.count("law-impact__tag--open") == 2
    client.post(change_url(world.change))  # nothing missing: nothing more
    assert RegulationUpdateTask.objects.count() == 2


def test_loading_the_change_opened_its_tasks_so_no_button(client, trainer, world):
    summary([world.change])
    html = signed_in(client, trainer).get(change_url(world.change)).content.decode()
    assert "打开更新任务</button>" not in html


def test_the_post_needs_a_csrf_token_and_the_permission(trainer, auditor, world):
    csrf_client = Client(enforce_csrf_checks=True)
    signed_in(csrf_client, trainer)
    assert csrf_client.post(change_url(world.change)).status_code == 403
    auditor_client = Client()
    signed_in(auditor_client, auditor)
    assert auditor_client.post(change_url(world.change)).status_code == 403
    assert RegulationUpdateTask.objects.count() == 0


def test_a_lesson_comparing_both_versions_is_marked(client, trainer, world):
    from tests.courses.pages import add_lesson

    add_lesson(
        world.course, "对照课", slug="compare", body=citation(world.old) + citation(world.new)
    )
    html = signed_in(client, trainer).get(change_url(world.change)).content.decode()
    assert "新旧版本对照" in html
