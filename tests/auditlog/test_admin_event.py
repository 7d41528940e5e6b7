"""One event's admin page through HTTP: its facts, hashes and own link check (which catches a
row edited in the database), and its personal part: masked on a GET, shown in full only on a
POST by someone allowed, and that look recorded as ``personal_data.viewed`` in the chain."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from lms.auditlog.models import AuditEvent
from lms.auditlog.permissions import VIEW_PERSONAL
from lms.auditlog.verification import verify_database
from tests.auditlog.helpers import events_of, one_event
from tests.conftest import signed_in
from tests.factories import FirmFactory, UserFactory

from .trail_factories import checkpoint, record, tamper

pytestmark = pytest.mark.django_db


def event_url(event: AuditEvent) -> str:
    return reverse("auditlog_trail:event", args=[event.seq])


@pytest.fixture
def finding_event(collector, reviewer):
    firm = FirmFactory(name="阳光资产")
    record("certificate.issued")
    return record(
        "finding.confirmed",
        actor=reviewer,
        subject=("compliance.finding", 12),
        subject_label="F-2026-0012",
        firms=[firm],
        persons=[collector],
        payload={"from": "recorded", "to": "confirmed", "severity": "major"},
        personal={"phone": "13812345678"},
    )


def checks(html: str) -> tuple[int, int]:
    return html.count("audit-event__check--ok"), html.count("audit-event__check--failed")


def test_the_page_shows_the_facts_hashes_and_a_passing_link_check(client, auditor, finding_event):
    html = signed_in(client, auditor).get(event_url(finding_event)).content.decode()
    assert "F-2026-0012" in html
    assert "&quot;severity&quot;: &quot;major&quot;" in html
    assert finding_event.hash in html and finding_event.prev_hash in html
    assert finding_event.personal_digest in html
    # hash recomputes, previous hash matches, personal digest matches (it is the head: no next)
    assert checks(html) == (3, 0)
    assert reverse("auditlog_trail:person", args=[finding_event.persons[0]]) in html
    assert "尚无已签署的检查点覆盖此事件" in html


def test_the_next_event_and_a_covering_checkpoint_are_checked_too(client, auditor):
    first = record()
    record()
    checkpoint(2)
    html = signed_in(client, auditor).get(event_url(first)).content.decode()
    assert checks(html) == (3, 0)  # recomputes, genesis previous hash, the next chains to it
    assert "已由事件 2 的检查点覆盖" in html


def test_an_event_edited_in_the_database_fails_its_own_check(client, auditor, finding_event):
    tamper(
        "UPDATE auditlog_auditevent SET payload = %s WHERE seq = %s",
        ['{"from": "recorded", "to": "dismissed"}', finding_event.seq],
    )
    html = signed_in(client, auditor).get(event_url(finding_event)).content.decode()
    assert checks(html) == (2, 1)
    assert "dismissed" in html


def test_a_changed_previous_hash_fails_the_link_to_the_previous_event(client, auditor):
    record()
    second = record()
    tamper("UPDATE auditlog_auditevent SET prev_hash = %s WHERE seq = %s", ["f" * 64, second.seq])
    html = signed_in(client, auditor).get(event_url(second)).content.decode()
    assert checks(html) == (0, 2)  # the hash no longer recomputes, nor matches the previous


def test_edited_personal_data_fails_its_digest(client, auditor, finding_event):
    personal = dict(finding_event.personal, phone="13900000000")
    tamper(
        "UPDATE auditlog_auditevent SET personal = %s WHERE seq = %s",
        [json.dumps(personal), finding_event.seq],
    )
    html = signed_in(client, auditor).get(event_url(finding_event)).content.decode()
    assert checks(html) == (2, 1)


def test_personal_data_is_masked_on_the_page_and_its_view_not_recorded(
    client, auditor, collector, reviewer, finding_event
):
    html = signed_in(client, auditor).get(event_url(finding_event)).content.decode()
    assert "138****5678" in html and "张*" in html and "刘*核" in html
    for full in ("13812345678", collector.legal_name, collector.email, reviewer.email):
        assert full not in html
    assert finding_event.personal["salt"] not in html
    assert "显示个人信息" in html
    assert events_of("personal_data.viewed") == []


def test_an_auditor_unmasks_it_with_a_post_and_the_look_is_recorded(
    client, auditor, collector, reviewer, finding_event
):
    response = signed_in(client, auditor).post(event_url(finding_event))
    assert response.status_code == 200
    html = response.content.decode()
    for full in ("13812345678", collector.legal_name, collector.email, reviewer.email):
        assert full in html
    assert "您查看了这些信息一事已记入审计日志" in html
    viewed = one_event(
        "personal_data.viewed",
        actor_kind="user",
        actor_id=str(auditor.pk),
        subject_type="auditlog.auditevent",
        subject_id=str(finding_event.seq),
    )
    assert viewed.persons == sorted([collector.pk, reviewer.pk])
    assert viewed.firms == finding_event.firms  # ids with their credit codes
    assert viewed.payload["fields"] == ["actor", "persons", "phone"]
    assert viewed.payload["event_seq"] == finding_event.seq
    # No personal data in the hashed body of the new event either.
    assert collector.legal_name not in str(viewed.payload)


def test_a_superuser_may_unmask_too(client, admin_user, finding_event):
    response = signed_in(client, admin_user).post(event_url(finding_event))
    assert "13812345678" in response.content.decode()
    one_event("personal_data.viewed", actor_id=str(admin_user.pk))


def test_someone_who_may_read_the_trail_but_not_personal_data_cannot_unmask(
    client, auditor, finding_event
):
    auditors = Group.objects.get(name="Auditors")
    auditors.permissions.remove(Permission.objects.get(codename=VIEW_PERSONAL.split(".")[1]))
    signed_in(client, auditor)
    html = client.get(event_url(finding_event)).content.decode()
    assert "138****5678" in html and "显示个人信息" not in html
    response = client.post(event_url(finding_event))
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert events_of("personal_data.viewed") == []


def test_unmasking_needs_the_csrf_token_so_no_other_page_can_make_an_auditor_look(
    auditor, finding_event
):
    client = Client(enforce_csrf_checks=True)
    signed_in(client, auditor)
    response = client.post(event_url(finding_event))
    assert response.status_code == 403
    assert events_of("personal_data.viewed") == []


def test_an_event_without_personal_data_offers_nothing_to_unmask(client, auditor):
    event = record("regulations.loaded", actor="content.regulations.load", subject_label="民法典")
    signed_in(client, auditor)
    assert "显示个人信息" not in client.get(event_url(event)).content.decode()
    client.post(event_url(event))
    assert events_of("personal_data.viewed") == []
    assert verify_database().ok


def test_an_unknown_event_is_a_404(client, auditor):
    assert (
        signed_in(client, auditor).get(reverse("auditlog_trail:event", args=[99])).status_code
        == 404
    )


def test_a_person_subject_is_shown_masked(client, auditor):
    person = UserFactory(legal_name="欧阳小明")
    event = record("staff.signed_in", subject=person, actor=person, personal={"ip": "10.0.0.8"})
    html = signed_in(client, auditor).get(event_url(event)).content.decode()
    assert "欧**明" in html
    assert "欧阳小明" not in html and "10.0.0.8" not in html
