"""The admin's trail pages through HTTP, as an auditor: the whole log and one person's, firm's
or certificate's trail, newest first, filtered, paginated, people masked, with the verification
status on every page and the same number of queries for a page of 3 events as of 50."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.auditlog.chain import Actor
from lms.auditlog.trail import PER_PAGE
from tests.conftest import signed_in
from tests.factories import FirmFactory, UserFactory

from .trail_factories import checkpoint, record, record_at, verification

pytestmark = pytest.mark.django_db

INDEX = reverse("auditlog_trail:index")


def seqs(html: str) -> list[int]:
    """The sequence numbers of the listed events, in page order."""
    return [int(seq) for seq in re.findall(r'href="/admin/audit-trail/event/(\d+)/"', html)]


def page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def auditor_client(client, auditor):
    return signed_in(client, auditor)


def test_the_trail_lists_every_event_newest_first(auditor_client):
    first = record(
        "certificate.issued", subject=("certificates.certificate", 1), subject_label="C-1"
    )
    second = record("finding.recorded", subject=("compliance.finding", 7), subject_label="F-7")
    html = page(auditor_client, INDEX)
    assert seqs(html) == [second.seq, first.seq]
    assert "C-1" in html and "F-7" in html
    assert "证书已发放" in html  # the event type's label, in the admin's language


def test_it_shows_fifty_events_a_page_and_links_to_older_ones(auditor_client):
    events = [record("regulations.loaded", subject_label=f"load {n}") for n in range(PER_PAGE + 3)]
    html = page(auditor_client, INDEX)
    assert seqs(html) == [event.seq for event in reversed(events)][:PER_PAGE]
    assert "?p=2" in html
    older = page(auditor_client, INDEX, p=2)
    assert seqs(older) == [events[2].seq, events[1].seq, events[0].seq]


def test_it_filters_by_event_type(auditor_client):
    issued = record("certificate.issued", subject_label="C-1")
    record("certificate.revoked", subject_label="C-2")
    html = page(auditor_client, INDEX, event_type="certificate.issued")
    assert seqs(html) == [issued.seq]


def test_it_filters_by_dates_in_beijing_time_both_days_included(auditor_client):
    beijing = timezone.get_default_timezone()
    days = [dt.datetime(2026, 3, day, 23, 30, tzinfo=beijing) for day in (1, 2, 3, 4)]
    events = [record_at(moment, subject_label=f"day {moment.day}") for moment in days]
    html = page(auditor_client, INDEX, date_from="2026-03-02", date_to="2026-03-03")
    assert seqs(html) == [events[2].seq, events[1].seq]


def test_an_end_before_the_start_is_refused_with_a_message(auditor_client):
    record(subject_label="C-1")
    html = page(auditor_client, INDEX, date_from="2026-03-05", date_to="2026-03-01")
    assert "结束日期早于开始日期" in html or "The end date is before the start date" in html


def test_it_filters_by_the_kind_of_actor(auditor_client, reviewer):
    by_person = record(actor=reviewer, subject_label="by a person")
    by_task = record(actor="exams.certificates.tasks.expire", subject_label="by a task")
    by_token = record(actor=Actor("token", "5", "ERP token"), subject_label="by a token")
    assert seqs(page(auditor_client, INDEX, actor_kind="user")) == [by_person.seq]
    assert seqs(page(auditor_client, INDEX, actor_kind="system")) == [by_task.seq]
    html = page(auditor_client, INDEX, actor_kind="token")
    assert seqs(html) == [by_token.seq]
    assert "ERP token" in html


def test_it_finds_text_in_the_subjects_label(auditor_client):
    record(subject_label="SA-2026-000123")
    wanted = record(subject_label="SA-2026-000456")
    assert seqs(page(auditor_client, INDEX, q="000456")) == [wanted.seq]
    assert seqs(page(auditor_client, INDEX, q="sa-2026-000456")) == [wanted.seq]


def test_filters_are_kept_when_turning_pages(auditor_client):
    for n in range(PER_PAGE + 1):
        record("certificate.expired", subject_label=f"C-{n}")
    record("certificate.issued", subject_label="other")
    html = page(auditor_client, INDEX, event_type="certificate.expired")
    assert "event_type=certificate.expired&amp;p=2" in html


def test_a_persons_trail_holds_events_about_them_on_their_account_and_by_them(
    auditor_client, collector, other_collector, reviewer
):
    about = record("finding.recorded", persons=[collector], subject_label="F-1")
    account = record("staff.signed_in", subject=collector, actor=collector)
    by_them = record("finding.appealed", actor=collector, subject_label="F-1 appeal")
    record("finding.recorded", persons=[other_collector], subject_label="F-2")
    record("finding.confirmed", actor=reviewer, subject_label="F-3")
    html = page(auditor_client, reverse("auditlog_trail:person", args=[collector.pk]))
    assert seqs(html) == [by_them.seq, account.seq, about.seq]
    assert "张*" in html  # the heading names them masked
    assert "张三" not in html


def test_a_firms_trail_holds_the_events_that_concern_it(auditor_client):
    firm, other = FirmFactory(), FirmFactory()
    mine = record("firm.status_changed", subject=firm, firms=[firm])
    both = record("membership.started", subject_label="move", firms=[firm, other])
    record("firm.status_changed", subject=other, firms=[other])
    html = page(auditor_client, reverse("auditlog_trail:firm", args=[firm.pk]))
    assert seqs(html) == [both.seq, mine.seq]
    assert firm.credit_code in html


def test_a_certificates_trail_holds_the_events_about_it(auditor_client):
    issued = record(
        "certificate.issued", subject=("certificates.certificate", 41), subject_label="SA-41"
    )
    record("certificate.issued", subject=("certificates.certificate", 42), subject_label="SA-42")
    revoked = record(
        "certificate.revoked", subject=("certificates.certificate", 41), subject_label="SA-41"
    )
    html = page(auditor_client, reverse("auditlog_trail:certificate", args=[41]))
    assert seqs(html) == [revoked.seq, issued.seq]
    assert "SA-41" in html and "SA-42" not in html


def test_a_scoped_trail_can_be_filtered_too(auditor_client):
    firm = FirmFactory()
    record("firm.status_changed", subject=firm, firms=[firm])
    joined = record("membership.started", subject_label="joined", firms=[firm])
    url = reverse("auditlog_trail:firm", args=[firm.pk])
    assert seqs(page(auditor_client, url, event_type="membership.started")) == [joined.seq]


def test_people_are_shown_masked_in_the_list(auditor_client, collector, reviewer):
    record("finding.recorded", actor=reviewer, subject=collector, persons=[collector])
    html = page(auditor_client, INDEX)
    assert "刘*" in html and "张*" in html  # 刘审核 acted, about 张三
    for full in (reviewer.legal_name, reviewer.email, collector.legal_name, collector.email):
        assert full not in html


def test_every_text_is_escaped(auditor_client):
    record(subject_label="<script>alert(1)</script>")
    html = page(auditor_client, INDEX)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


# --- The verification status ------------------------------------------------------------------


def test_a_log_never_verified_says_so_on_every_trail_page(auditor_client, collector):
    firm = FirmFactory()
    record(firms=[firm], persons=[collector], subject=("certificates.certificate", 3))
    for url in (
        INDEX,
        reverse("auditlog_trail:person", args=[collector.pk]),
        reverse("auditlog_trail:firm", args=[firm.pk]),
        reverse("auditlog_trail:certificate", args=[3]),
        reverse("auditlog_trail:event", args=[1]),
    ):
        html = page(auditor_client, url)
        assert "从未验证" in html, url
        assert "尚未签署检查点" in html, url


def test_the_status_shows_the_latest_verification_and_checkpoint(auditor_client):
    for _ in range(4):
        record()
    verification(ok=False, first_bad_seq=2)
    verification(ok=True, events=3)
    checkpoint(2, at=timezone.now() - dt.timedelta(hours=1))
    checkpoint(3)
    html = page(auditor_client, INDEX)
    assert "链已验证" in html
    assert "3 个事件" in html
    assert "事件 3" in html  # the latest checkpoint
    assert "此后有 1 个事件尚未签署" in html


def test_a_failed_verification_links_to_the_first_bad_event(auditor_client):
    record()
    verification(ok=False, first_bad_seq=1)
    html = page(auditor_client, INDEX)
    assert "验证失败" in html
    status = html.split('<section class="audit-status"')[1].split("</section>")[0]
    assert "第一个不一致的事件是 1" in status
    assert 'href="/admin/audit-trail/event/1/"' in status


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["index", "person", "firm", "certificate"])
def test_a_page_costs_the_same_queries_for_3_events_as_for_50(
    auditor_client, collector, reviewer, scope, django_assert_max_num_queries
):
    firm = FirmFactory()
    url = {
        "index": INDEX,
        "person": reverse("auditlog_trail:person", args=[collector.pk]),
        "firm": reverse("auditlog_trail:firm", args=[firm.pk]),
        "certificate": reverse("auditlog_trail:certificate", args=[9]),
    }[scope]

    def write(count: int) -> None:
        for _ in range(count):
            record(
                actor=UserFactory(),
                subject=("certificates.certificate", 9),
                subject_label="SA-9",
                firms=[firm],
                persons=[collector],
            )

    write(3)
    auditor_client.get(url)  # warm the session and the site caches
    with django_assert_max_num_queries(40) as few:
        page(auditor_client, url)
    write(PER_PAGE - 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(seqs(page(auditor_client, url))) == PER_PAGE


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "0001-01-01"},
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
def test_far_off_dates_are_ignored_with_a_message(auditor_client, params):
    """Year 1 and 9999-12-31 have no valid Beijing midnight in UTC: the filter is refused with
    a message naming the allowed days and the rest of the page works (no 500), on SQLite and
    PostgreSQL alike."""
    event = record(subject_label="C-1")
    html = page(auditor_client, INDEX, **params)
    # The message (in either language) names the days a filter may use.
    assert "1970-01-01" in html and "9999-12-30" in html
    assert seqs(html) == [event.seq]


@pytest.mark.parametrize("params", [{"date_from": "2026-03-02\x00"}, {"date_to": "\x00"}])
def test_nul_bytes_in_a_date_filter_are_a_400_not_a_500(auditor_client, params):
    record(subject_label="C-1")
    assert auditor_client.get(INDEX, params).status_code == 400
