"""The CPD hours on "My learning" (issue 15): the cycle of each programme the collector holds or
is assigned, in the words of the issue, and their ledger with where each hour came from."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from content.models import ChangeVia, Registration, RegistrationState
from courses import cpd
from exams.certificates.models import ProgrammeAssignment
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory, make_session

pytestmark = pytest.mark.django_db
URL = reverse("courses:my_learning")


def attend(user, session) -> Registration:
    with transaction.atomic():
        registration = Registration(session=session, user=user)
        registration.change_state(RegistrationState.BOOKED, via=ChangeVia.SELF, actor=user)
        registration.change_state(RegistrationState.ATTENDED, via=ChangeVia.QR, actor=user)
    return registration


@pytest.fixture
def programme(monkeypatch):
    use_fast_pdf(monkeypatch)
    made = make_programme(courses=0).programme
    made.cpd_hours_required = Decimal(12)
    made.cpd_offline_hours_required = Decimal(4)
    made.save()
    return made


def test_a_holder_sees_the_cycle_in_the_issues_words_and_the_ledger(
    client, collector, trainer, programme
):
    issue_certificate(collector, programme)
    start = timezone.now() - datetime.timedelta(days=20)
    session = make_session(start=start, hours=2)
    attend(collector, session)
    cpd.adjust(
        collector,
        Decimal(6),
        offline=False,
        earned_on=timezone.localdate() - datetime.timedelta(days=3),
        reason="外部线上培训证明",
        actor=trainer,
    )
    client.force_login(collector)

    html = client.get(URL).text

    assert html.count('class="cpd-cycle__progress"') == 1
    assert "本周期 已完成 8 / 12 学时，其中线下 2 / 4" in html
    assert f"<h3>{programme.name}</h3>" in html
    assert f'<a href="{session.page.url}">{session.page.title}</a>' in html
    assert "外部线上培训证明" in html
    assert "人工调整" in html
    assert "累计 8 学时。" in html
    assert "线下" in html


def test_an_assigned_collector_sees_the_cycle_and_where_to_earn_hours(
    client, collector, manager, programme
):
    firm = FirmFactory()
    ProgrammeAssignment.objects.create(
        user=collector,
        programme=programme,
        firm=firm,
        assigned_by=manager,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    client.force_login(collector)

    html = client.get(URL).text

    assert "本周期 已完成 0 / 12 学时，其中线下 0 / 4" in html
    assert "查找沙龙与峰会" in html
    assert "还没有继续教育学时" in html


def test_programmes_without_a_requirement_or_not_held_are_not_shown(
    client, collector, other_collector, programme
):
    issue_certificate(other_collector, programme)  # someone else's
    client.force_login(collector)

    html = client.get(URL).text

    assert programme.name not in html
    assert "本周期" not in html


def test_someone_elses_ledger_is_not_shown(client, collector, other_collector, trainer):
    cpd.adjust(
        other_collector,
        Decimal(3),
        offline=True,
        earned_on=timezone.localdate(),
        reason="别人的学时",
        actor=trainer,
    )
    client.force_login(collector)

    assert "别人的学时" not in client.get(URL).text
