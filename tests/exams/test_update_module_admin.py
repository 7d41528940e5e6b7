"""Update modules in the Wagtail admin: trainers manage them (as programmes), reviewers look,
everyone else is turned away; the listing shows the deadline in force and the counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.certificates import updates
from exams.certificates.admin import UPDATE_MODULES
from exams.certificates.models import UpdateModule
from tests.conftest import signed_in

from .certificate_factories import complete_course, make_programme, use_fast_pdf
from .test_certificate_admin import turned_away
from .update_factories import certificate_on, make_module, superseding_change, update_course

pytestmark = pytest.mark.django_db

INDEX = reverse(f"{UPDATE_MODULES}:index")
ADD = reverse(f"{UPDATE_MODULES}:add")


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def programme():
    return make_programme().programme


@pytest.fixture
def change():
    return superseding_change()


def test_a_trainer_attaches_an_update_module_with_a_deadline(client, trainer, programme, change):
    course = update_course(change)
    signed_in(client, trainer)
    assert client.get(ADD).status_code == 200

    response = client.post(
        ADD,
        {
            "programme": programme.pk,
            "change": change.pk,
            "course": course.pk,
            "deadline": "2027-03-31",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    module = UpdateModule.objects.get()
    assert (module.programme, module.change, module.course.pk) == (programme, change, course.pk)
    assert module.deadline == date(2027, 3, 31)
    assert module.created_by == trainer


def test_a_trainer_changes_the_deadline(client, trainer, programme, change):
    module = make_module(programme, change)
    signed_in(client, trainer)
    edit = reverse(f"{UPDATE_MODULES}:edit", args=[module.pk])

    response = client.post(
        edit,
        {
            "programme": programme.pk,
            "change": change.pk,
            "course": module.course_id,
            "deadline": "2027-06-30",
        },
    )

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.deadline == date(2027, 6, 30)


def test_the_listing_shows_the_deadline_in_force_and_the_counts(
    client,
    trainer,
    collector,
    other_collector,
    manager,
    programme,
    change,
    django_capture_on_commit_callbacks,
):
    module = make_module(programme, change)
    certificate_on(collector, programme, change.old)
    certificate_on(other_collector, programme, change.old)
    certificate_on(manager, programme, change.old)
    with django_capture_on_commit_callbacks(execute=True):
        updates.notify_holders(module)
        complete_course(collector, module.course)
    later = timezone.now() + timedelta(days=200)
    updates.suspend_overdue(later)
    signed_in(client, trainer)

    response = client.get(INDEX)

    assert response.status_code == 200
    [row] = [item for item in response.context["object_list"] if item.pk == module.pk]
    assert (row.notified, row.refreshed, row.suspended) == (3, 1, 2)
    content = response.content.decode()
    deadline = module.effective_deadline
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in content
    assert updates.affected_certificates(module).count() == 2


def test_a_module_on_a_draft_course_shows_no_deadline_yet(client, trainer, programme, change):
    module = make_module(programme, change)
    module.course.unpublish()
    signed_in(client, trainer)

    assert "尚未发布" in client.get(INDEX).content.decode()


def test_a_reviewer_may_look_but_not_add_or_change(client, reviewer, programme, change):
    module = make_module(programme, change)
    signed_in(client, reviewer)

    assert client.get(INDEX).status_code == 200
    assert turned_away(client.get(ADD))
    assert turned_away(client.get(reverse(f"{UPDATE_MODULES}:edit", args=[module.pk])))


@pytest.mark.parametrize("role", ["auditor", "manager", "collector"])
def test_other_roles_are_turned_away(client, request, role, programme, change):
    module = make_module(programme, change)
    signed_in(client, request.getfixturevalue(role))

    for url in (INDEX, ADD, reverse(f"{UPDATE_MODULES}:edit", args=[module.pk])):
        response = client.get(url)
        # Turned away: Wagtail's 403 (or its redirect to the dashboard), or to its sign-in for
        # those without admin access at all.
        assert response.status_code in (302, 403), (role, url)
        assert response.get("Location") != url


def test_nobody_without_the_permission_can_post_a_module(client, auditor, programme, change):
    course = update_course(change)
    signed_in(client, auditor)

    response = client.post(
        ADD, {"programme": programme.pk, "change": change.pk, "course": course.pk}
    )

    assert turned_away(response)
    assert not UpdateModule.objects.exists()


def test_trainers_search_modules_by_course_or_programme(client, trainer, programme, change):
    module = make_module(programme, change)
    other = make_module(make_programme().programme, superseding_change())
    signed_in(client, trainer)

    response = client.get(INDEX, {"q": module.course.title})

    assert response.status_code == 200
    found = [item.pk for item in response.context["object_list"]]
    assert module.pk in found and other.pk not in found


# --- Review fixes (issue 13 review: items 6 and 11) --------------------------------------------


def post_module(client, url, programme, change, course, deadline):
    return client.post(
        url,
        {
            "programme": programme.pk,
            "change": change.pk,
            "course": course.pk,
            "deadline": deadline.isoformat(),
        },
    )


def test_a_deadline_in_the_past_is_refused(client, trainer, programme, change):
    course = update_course(change)
    signed_in(client, trainer)

    response = post_module(
        client, ADD, programme, change, course, timezone.localdate() - timedelta(days=1)
    )

    assert response.status_code == 200
    assert "更新截止日期不能早于今天" in response.content.decode()
    assert not UpdateModule.objects.exists()


def test_a_deadline_before_the_new_version_takes_effect_is_refused(
    client, trainer, programme, change
):
    takes_effect = timezone.localdate() + timedelta(days=30)
    type(change.new).objects.filter(pk=change.new_id).update(effective_date=takes_effect)
    course = update_course(change)
    signed_in(client, trainer)

    response = post_module(
        client, ADD, programme, change, course, timezone.localdate() + timedelta(days=10)
    )

    assert response.status_code == 200
    assert "更新截止日期不能早于新版本生效日期" in response.content.decode()
    assert not UpdateModule.objects.exists()
    later = post_module(client, ADD, programme, change, course, takes_effect)
    assert later.status_code == 302


def test_programme_and_change_are_fixed_once_holders_were_notified(
    client, trainer, collector, programme, change, django_capture_on_commit_callbacks
):
    module = make_module(programme, change)
    certificate_on(collector, programme, change.old)
    with django_capture_on_commit_callbacks(execute=True):
        updates.notify_holders(module)
    other_programme, other_change = make_programme().programme, superseding_change()
    signed_in(client, trainer)
    edit = reverse(f"{UPDATE_MODULES}:edit", args=[module.pk])

    form = client.get(edit).context["form"]
    assert form.fields["programme"].disabled and form.fields["change"].disabled
    assert not form.fields["deadline"].disabled
    response = post_module(
        client,
        edit,
        other_programme,
        other_change,
        module.course,
        timezone.localdate() + timedelta(days=120),
    )

    assert response.status_code == 302
    module.refresh_from_db()
    assert (module.programme, module.change) == (programme, change)
    assert module.deadline == timezone.localdate() + timedelta(days=120)


def test_programme_and_change_may_change_before_anyone_was_told(client, trainer, programme, change):
    module = make_module(programme, change)
    signed_in(client, trainer)
    edit = reverse(f"{UPDATE_MODULES}:edit", args=[module.pk])

    assert not client.get(edit).context["form"].fields["change"].disabled


def test_the_listing_counts_affected_holders_in_constant_queries(
    client, trainer, collector, other_collector, programme, change, django_assert_max_num_queries
):
    module = make_module(programme, change)
    certificate_on(collector, programme, change.old)
    signed_in(client, trainer)
    client.get(INDEX)
    with django_assert_max_num_queries(60) as few:
        client.get(INDEX)
    others = []
    for _ in range(3):
        other_change = superseding_change()
        other_programme = make_programme().programme
        others.append(make_module(other_programme, other_change))
        certificate_on(collector, other_programme, other_change.old)
        certificate_on(other_collector, other_programme, other_change.old)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INDEX)

    counts = {row.pk: row.affected for row in response.context["object_list"]}
    assert counts[module.pk] == 1
    assert all(counts[other.pk] == 2 for other in others)
    for row in response.context["object_list"]:
        assert counts[row.pk] == updates.affected_certificates(row).count()
