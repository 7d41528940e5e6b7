"""Renewing a certificate of a programme that requires CPD hours (issue 15, item 3).

Through HTTP where a collector acts: the renewal exam page shows the hours of the cycle and
refuses to start (also for a hand-made POST) until the total and offline hours are met, with
links to where to earn them; issuance creates no renewal without the hours even when a trainer
opened the exam to anyone, and renews once the hours come in after the pass (a trainer's
adjustment, a session marked attended). First certification needs no hours.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from content.models import EventIndexPage
from courses import cpd
from courses.models import CPDEntry, CPDSource
from exams.attempts import PrerequisitesMissing, start_attempt
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    IssuanceKind,
    IssuanceRequest,
)
from exams.models import Attempt
from tests.conftest import signed_in
from tests.content.checkin_support import live_session, register
from tests.exams.certificate_factories import (
    complete_course,
    issue_certificate,
    make_programme,
    pass_exam,
    use_fast_pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def certify(django_capture_on_commit_callbacks):
    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run


@pytest.fixture
def programme(db):
    made = make_programme(courses=1, renewal_exam=True)
    made.programme.cpd_hours_required = Decimal(12)
    made.programme.cpd_offline_hours_required = Decimal(4)
    made.programme.save()
    return made


def renewable_certificate(user, programme) -> Certificate:
    issued = timezone.now() - relativedelta(months=programme.programme.validity_months)
    return issue_certificate(user, programme.programme, now=issued + datetime.timedelta(days=30))


def credit(user, trainer, hours, *, offline=False, days_ago=10):
    CPDEntry.objects.create(
        user=user,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(hours),
        offline=offline,
        earned_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        reason="外部培训",
        created_by=trainer,
    )


def test_the_renewal_exam_page_shows_the_missing_hours_and_offers_no_start(
    client, collector, trainer, programme
):
    events = EventIndexPage.objects.live().get()
    renewable_certificate(collector, programme)
    credit(collector, trainer, 8)
    credit(collector, trainer, 2, offline=True)
    client.force_login(collector)

    html = client.get(programme.renewal_exam.url).text

    assert "本周期 已完成 10 / 12 学时，其中线下 2 / 4" in html
    assert f'href="{events.url}"' in html
    assert reverse("exams:start", args=[programme.renewal_exam.pk]) not in html
    response = client.post(reverse("exams:start", args=[programme.renewal_exam.pk]), follow=True)
    assert response.redirect_chain[-1][0] == programme.renewal_exam.url
    assert not Attempt.objects.filter(exam=programme.renewal_exam).exists()


def test_offline_hours_short_still_refuse_the_start(client, collector, trainer, programme):
    renewable_certificate(collector, programme)
    credit(collector, trainer, 20)
    credit(collector, trainer, 3, offline=True)
    client.force_login(collector)

    client.post(reverse("exams:start", args=[programme.renewal_exam.pk]))

    assert not Attempt.objects.filter(exam=programme.renewal_exam).exists()


def test_hours_older_than_the_cycle_do_not_count(client, collector, trainer, programme):
    renewable_certificate(collector, programme)
    credit(collector, trainer, 12, offline=True, days_ago=400)
    client.force_login(collector)

    client.post(reverse("exams:start", args=[programme.renewal_exam.pk]))

    assert not Attempt.objects.filter(exam=programme.renewal_exam).exists()


def test_before_the_renewal_window_the_hours_do_not_block_the_exam(client, collector, programme):
    """Passing before the window renews nothing, so the hours are not what stands in the way:
    the holder may sit the exam (e.g. for practice) as before, and is not told to earn hours."""
    issue_certificate(collector, programme.programme, now=timezone.now() - relativedelta(months=1))
    client.force_login(collector)

    html = client.get(programme.renewal_exam.url).text
    client.post(reverse("exams:start", args=[programme.renewal_exam.pk]))

    assert "本周期 已完成" not in html
    assert Attempt.objects.filter(exam=programme.renewal_exam, user=collector).exists()


def test_with_the_hours_the_collector_starts_and_renews(
    client, certify, collector, trainer, programme
):
    old = renewable_certificate(collector, programme)
    credit(collector, trainer, 8)
    credit(collector, trainer, 4, offline=True)
    client.force_login(collector)

    response = client.post(reverse("exams:start", args=[programme.renewal_exam.pk]))
    assert response.status_code == 302
    attempt = Attempt.objects.get(exam=programme.renewal_exam)
    assert response.url == reverse("exams:attempt", args=[attempt.pk])
    Attempt.objects.filter(pk=attempt.pk).delete()

    certify(pass_exam, collector, programme.renewal_exam)

    new = Certificate.objects.exclude(pk=old.pk).get()
    assert new.request.kind == IssuanceKind.RENEWAL
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED


def test_issuance_creates_no_renewal_without_the_hours_even_if_the_exam_is_open(
    certify, collector, trainer, programme
):
    old = renewable_certificate(collector, programme)
    credit(collector, trainer, 11, offline=True)
    exam = programme.renewal_exam
    exam.open_to_anyone = True  # a trainer opened it: the start is no longer gated
    exam.save(update_fields=["open_to_anyone"])

    certify(pass_exam, collector, exam)

    assert list(Certificate.objects.all()) == [old]


def test_a_correction_below_the_requirement_blocks_the_renewal_again(collector, trainer, programme):
    renewable_certificate(collector, programme)
    credit(collector, trainer, 12, offline=True)
    credit(collector, trainer, -1, offline=True)

    with pytest.raises(PrerequisitesMissing, match="继续教育学时"):
        start_attempt(collector, programme.renewal_exam)


def test_first_certification_needs_no_hours(certify, collector, programme):
    for course in programme.courses:
        certify(complete_course, collector, course)

    certify(pass_exam, collector, programme.exam)

    certificate = Certificate.objects.get(holder=collector)
    assert certificate.request.kind == IssuanceKind.INITIAL


# --- Hours that come in after the renewal exam was passed -----------------------------------------


def open_renewal_exam(programme):
    exam = programme.renewal_exam
    exam.open_to_anyone = True  # a trainer opened it: the start is not gated on the hours
    exam.save(update_fields=["open_to_anyone"])
    return exam


def test_hours_credited_after_the_pass_complete_the_renewal(certify, collector, trainer, programme):
    old = renewable_certificate(collector, programme)
    credit(collector, trainer, 8)
    certify(pass_exam, collector, open_renewal_exam(programme))
    assert not IssuanceRequest.objects.filter(holder=collector).exclude(pk=old.request.pk).exists()

    # The trainer records 4 offline hours from an outside summit (admin: CPD hours).
    certify(
        cpd.adjust,
        collector,
        Decimal(4),
        offline=True,
        earned_on=timezone.localdate() - datetime.timedelta(days=3),
        reason="外部线下峰会",
        actor=trainer,
    )

    request = IssuanceRequest.objects.exclude(pk=old.request.pk).get(holder=collector)
    assert request.kind == IssuanceKind.RENEWAL and request.renews == old
    new = Certificate.objects.exclude(pk=old.pk).get()
    assert new.request == request
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED


def test_a_session_attended_after_the_pass_completes_the_renewal(
    client, django_capture_on_commit_callbacks, collector, trainer, programme
):
    old = renewable_certificate(collector, programme)
    with django_capture_on_commit_callbacks(execute=True):
        credit(collector, trainer, 8)
        pass_exam(collector, open_renewal_exam(programme))
    assert list(Certificate.objects.all()) == [old]
    session = live_session(hours=4)  # in person, started an hour ago: 4 offline hours today
    registration = register(session, collector)

    signed_in(client, trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("attendance_sessions:mark", args=[registration.pk]),
            {"state": "attended", "reason": "手机无法扫码"},
        )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/attendance/")

    new = Certificate.objects.exclude(pk=old.pk).get()
    assert new.request.kind == IssuanceKind.RENEWAL
    old.refresh_from_db()
    assert old.status == CertificateStatus.SUPERSEDED


def test_hours_without_a_renewal_pass_request_nothing(certify, collector, trainer, programme):
    old = renewable_certificate(collector, programme)
    certify(credit, collector, trainer, 12, offline=True)
    assert list(IssuanceRequest.objects.all()) == [old.request]
    assert list(Certificate.objects.all()) == [old]
