"""seed_demo: idempotent demo data, one working account per role, never by accident."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from wagtail.documents.models import Document

from content.models import EventPage, Regulation
from courses.models import CoursePage, LessonPage
from exams.models import ExamPage, Question
from lms.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo_account
from lms.accounts.models import User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert not User.objects.exists()


def test_it_creates_the_demo_site_and_a_second_run_creates_nothing(db):
    first = seed("--force")
    assert "admin@demo.test: created user" in first
    assert "regulations: 37 created" in first

    def counts() -> tuple[int, ...]:
        return (
            User.objects.count(),
            Group.objects.count(),
            Regulation.objects.count(),
            CoursePage.objects.live().count(),
            LessonPage.objects.live().count(),
            EventPage.objects.live().count(),
            Document.objects.count(),
            Question.objects.count(),
            ExamPage.objects.live().count(),
        )

    before = counts()
    second = seed("--force")
    assert "seed_demo: nothing to do" in second
    assert counts() == before
    users, _, regulations, courses, lessons, events, documents, questions, exams = before
    assert (users, regulations, courses, events, exams) == (6, 37, 5, 2, 1)
    assert questions >= 40
    assert lessons >= 15 and documents >= 2
    topics = set(CoursePage.objects.values_list("topic", flat=True))
    assert topics == {
        "banking-rules",
        "public-security-law",
        "criminal-law",
        "personal-information",
        "de-escalation",
    }
    assert set(EventPage.objects.values_list("kind", flat=True)) == {"salon", "summit"}
    for course in CoursePage.objects.all():
        assert LessonPage.objects.child_of(course).live().count() >= 3
    roles = {u.email: list(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert roles["collector@demo.test"] == ["Collectors"]
    assert roles["manager@demo.test"] == ["Firm managers"]
    assert roles["trainer@demo.test"] == ["Trainers"]
    assert roles["reviewer@demo.test"] == ["Reviewers"]
    assert roles["auditor@demo.test"] == ["Auditors"]
    assert User.objects.get(email="admin@demo.test").is_superuser


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_every_demo_account_can_log_in(client, db, account):
    ensure_demo_account(account)
    response = client.post("/accounts/login/", {"login": account.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    if account.role in {"Trainers", "Reviewers", "Auditors"} or account.superuser:
        # Staff accounts come with TOTP set up; their second step is the code.
        assert response["Location"] == "/accounts/2fa/authenticate/"
    else:
        assert response["Location"] == "/"
        assert client.get("/").status_code == 200
