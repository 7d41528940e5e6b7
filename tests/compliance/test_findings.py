"""Audit findings: who may record and decide them in the admin, the decisions, signals after
commit, emails, and the evidence download."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.accounts.models import MembershipRole
from lms.compliance import findings
from lms.compliance.models import (
    Appeal,
    AppealOutcome,
    Finding,
    FindingCategory,
    FindingEvidence,
    FindingSource,
    FindingStatus,
    PersonalDataAccess,
    Severity,
)
from lms.compliance.signals import finding_status_changed
from tests.compliance.factories import make_finding
from tests.conftest import activate_totp, make_user, signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def membership(firm, collector):
    return MembershipFactory(firm=firm, user=collector)


@pytest.fixture
def auditor_client(client, auditor):
    auditor.preferred_language = "en"
    auditor.save(update_fields=["preferred_language"])
    return signed_in(client, auditor)


@pytest.fixture
def announced():
    """The ``finding_status_changed`` signals received, as (finding pk, status)."""
    received = []

    def receiver(sender, *, finding, status, **kwargs):
        received.append((finding.pk, status))

    finding_status_changed.connect(receiver, dispatch_uid="test_findings.announced")
    yield received
    finding_status_changed.disconnect(dispatch_uid="test_findings.announced")


def finding_form(collector, **overrides) -> dict:
    data = {
        "collector": collector.pk,
        "occurred_on": (timezone.localdate() - timezone.timedelta(days=2)).isoformat(),
        "firm": "",
        "source": FindingSource.FIELD_AUDIT,
        "category": FindingCategory.THREATS,
        "severity": Severity.CRITICAL,
        "description": "上门催收时威胁债务人家属。",
        "regulation": "",
        "evidence": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


# --- Who may reach the admin screens -------------------------------------------------------------


def test_auditor_records_a_finding_with_evidence_and_the_firm_is_filled_in(
    auditor_client, auditor, collector, membership
):
    data = finding_form(
        collector,
        evidence=inline_formset([{"file": "", "description": "现场录音", "id": ""}]),
    )
    data["evidence-0-file"] = SimpleUploadedFile("recording.mp3", b"ID3 fake audio", "audio/mpeg")
    response = auditor_client.post(reverse("compliance_findings:add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    finding = Finding.objects.get()
    assert finding.status == FindingStatus.OPEN
    assert finding.recorded_by == auditor
    assert finding.firm == membership.firm  # left empty: the collector's firm on that day
    evidence = finding.evidence.get()
    assert evidence.uploaded_by == auditor and evidence.description == "现场录音"


def test_only_collectors_can_be_chosen_and_dates_cannot_be_in_the_future(
    auditor_client, trainer, collector
):
    response = auditor_client.post(reverse("compliance_findings:add"), finding_form(trainer))
    assert response.status_code == 200
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = auditor_client.post(
        reverse("compliance_findings:add"), finding_form(collector, occurred_on=tomorrow)
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Finding.objects.exists()


def test_the_collector_chooser_lists_collectors_only_and_only_for_auditors(
    auditor_client, client, collector, trainer
):
    html = auditor_client.get(reverse("compliance_collector_chooser:choose")).content.decode()
    assert collector.email in html
    assert trainer.email not in html
    chosen = auditor_client.get(reverse("compliance_collector_chooser:chosen", args=[trainer.pk]))
    assert chosen.status_code == 404
    signed_in(client, trainer)
    response = client.get(reverse("compliance_collector_chooser:choose"))
    assert response.status_code in {302, 403}


@pytest.mark.parametrize("role", ["trainer", "reviewer"])
def test_staff_without_the_permission_cannot_reach_the_findings_admin(
    request, client, role, collector
):
    user = request.getfixturevalue(role)
    finding = make_finding(collector)
    signed_in(client, user)
    for url in [
        reverse("compliance_findings:index"),
        reverse("compliance_findings:add"),
        reverse("compliance_findings:edit", args=[finding.pk]),
        reverse("compliance_findings:inspect", args=[finding.pk]),
        reverse("compliance_findings:confirm", args=[finding.pk]),
    ]:
        response = client.get(url)
        assert response.status_code in {302, 403}, url
        if response.status_code == 302:
            assert response["Location"] != url
    response = client.post(reverse("compliance_findings:confirm", args=[finding.pk]), {"note": "x"})
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_collectors_and_managers_are_sent_to_sign_in(request, client, role):
    user = request.getfixturevalue(role)
    finding = make_finding(MembershipFactory(firm=FirmFactory()).user)
    client.force_login(user)
    for url in [
        reverse("compliance_findings:index"),
        reverse("compliance_findings:confirm", args=[finding.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_recording_without_the_decide_permission_cannot_decide(client, collector):
    clerk = make_user("clerk@example.com", "记录员")
    group = Group.objects.create(name="Finding clerks")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="compliance",
            codename__in=["add_finding", "change_finding", "view_finding"],
        ),
        Permission.objects.get(codename="access_admin"),
    )
    clerk.groups.add(group)
    finding = make_finding(collector)
    signed_in(client, clerk)
    assert client.get(reverse("compliance_findings:index")).status_code == 200
    response = client.post(reverse("compliance_findings:confirm", args=[finding.pk]), {"note": "x"})
    assert response.status_code in {302, 403}
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


# --- Decisions ----------------------------------------------------------------------------------


def test_confirming_needs_a_note_emails_the_collector_and_signals_after_commit(
    auditor_client, auditor, collector, membership, announced, django_capture_on_commit_callbacks
):
    finding = make_finding(collector, by=auditor, severity=Severity.CRITICAL)
    url = reverse("compliance_findings:confirm", args=[finding.pk])
    assert auditor_client.post(url, {"note": " "}).status_code == 200
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auditor_client.post(url, {"note": "录音证据确凿。"})
        assert response.status_code == 302
    assert announced == []  # not before the transaction commits
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert announced == [(finding.pk, FindingStatus.CONFIRMED)]
    finding.refresh_from_db()
    assert (finding.status, finding.decided_by, finding.decision_note) == (
        FindingStatus.CONFIRMED,
        auditor,
        "录音证据确凿。",
    )
    assert [message.to for message in mail.outbox] == [[collector.email]]
    assert "录音证据确凿。" in mail.outbox[0].body

    # Decided: no second decision, and the finding is locked against edits.
    assert auditor_client.post(url, {"note": "again"}).status_code == 200
    response = auditor_client.get(reverse("compliance_findings:edit", args=[finding.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance_findings:inspect", args=[finding.pk])


def test_dismissing_signals_and_does_not_email(
    auditor_client, collector, membership, announced, django_capture_on_commit_callbacks
):
    finding = make_finding(collector)
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(
            reverse("compliance_findings:dismiss", args=[finding.pk]), {"note": "非本人所为。"}
        )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.DISMISSED
    assert announced == [(finding.pk, FindingStatus.DISMISSED)]
    assert mail.outbox == []


# --- Appeals ------------------------------------------------------------------------------------


def test_a_collector_appeals_once(
    client, collector, membership, announced, django_capture_on_commit_callbacks
):
    finding = make_finding(collector)
    findings.confirm(finding, by=None, note="确认")
    client.force_login(collector)
    url = reverse("findings:appeal_mine", args=[finding.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"grounds": "当晚我在休假，有考勤记录。"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.APPEALED
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.status_before) == (collector, FindingStatus.CONFIRMED)
    assert announced[-1] == (finding.pk, FindingStatus.APPEALED)

    response = client.post(url, {"grounds": "再次申诉"})
    assert response.status_code == 302
    assert Appeal.objects.count() == 1
    with pytest.raises(findings.FindingError):
        findings.appeal(finding, by=collector, grounds="第三次")

    html = client.get(reverse("findings:mine")).content.decode()
    assert "当晚我在休假" in html


def test_a_collector_cannot_appeal_someone_elses_finding(client, collector, other_collector):
    finding = make_finding(other_collector)
    client.force_login(collector)
    assert client.get(reverse("findings:appeal_mine", args=[finding.pk])).status_code == 404
    assert (
        client.post(reverse("findings:appeal_mine", args=[finding.pk]), {"grounds": "x"})
    ).status_code == 404
    assert (
        f'data-finding="{finding.pk}"' not in client.get(reverse("findings:mine")).content.decode()
    )
    assert not Appeal.objects.exists()


def test_a_dismissed_finding_cannot_be_appealed(collector):
    finding = make_finding(collector)
    findings.dismiss(finding, by=None, note="不成立")
    with pytest.raises(findings.FindingError) as error:
        findings.appeal(finding, by=collector, grounds="?")
    assert error.value.code == "not_appealable"


def test_a_manager_appeals_for_their_own_collectors_only(client, manager, firm, collector):
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    MembershipFactory(firm=firm, user=collector)
    own = make_finding(collector)
    stranger = MembershipFactory(firm=FirmFactory(name="别家公司")).user
    foreign = make_finding(stranger)
    client.force_login(manager)

    html = client.get(reverse("findings:firm")).content.decode()
    assert f'data-finding="{own.pk}"' in html
    assert f'data-finding="{foreign.pk}"' not in html
    assert client.get(reverse("findings:appeal_firm", args=[foreign.pk])).status_code == 404
    assert (
        client.post(reverse("findings:appeal_firm", args=[foreign.pk]), {"grounds": "x"})
    ).status_code == 404
    response = client.post(
        reverse("findings:appeal_firm", args=[own.pk]), {"grounds": "通话记录显示未越时。"}
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.finding, appeal.appellant) == (own, manager)


def test_non_managers_cannot_open_the_firm_findings_page(client, collector):
    client.force_login(collector)
    assert client.get(reverse("findings:firm")).status_code == 403


@pytest.mark.parametrize(
    ("outcome", "final"),
    [
        (AppealOutcome.UPHELD, FindingStatus.DISMISSED),
        (AppealOutcome.REJECTED, FindingStatus.CONFIRMED),
    ],
)
def test_an_auditor_decides_the_appeal(
    auditor_client,
    auditor,
    collector,
    membership,
    announced,
    outcome,
    final,
    django_capture_on_commit_callbacks,
):
    finding = make_finding(collector)
    findings.appeal(finding, by=collector, grounds="不是我")
    url = reverse("compliance_findings:decide_appeal", args=[finding.pk])
    assert auditor_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(url, {"outcome": outcome, "note": "复核完毕。"})
    assert response.status_code == 302
    finding.refresh_from_db()
    appeal = Appeal.objects.get()
    assert finding.status == final
    assert (appeal.outcome, appeal.decided_by) == (outcome, auditor)
    assert announced[-1] == (finding.pk, final)
    assert [message.to for message in mail.outbox] == [[collector.email]]
    # Decided once: no second decision.
    with pytest.raises(findings.FindingError):
        findings.decide_appeal(finding, by=auditor, outcome=outcome, note="again")


# --- Evidence -----------------------------------------------------------------------------------


@pytest.fixture
def evidence(collector, auditor):
    finding = make_finding(collector, by=auditor)
    return FindingEvidence.objects.create(
        finding=finding,
        file=SimpleUploadedFile("complaint.pdf", b"%PDF-1.4 complaint"),
        uploaded_by=auditor,
    )


def test_auditors_and_superusers_download_evidence(client, auditor, admin_user, evidence):
    url = reverse("compliance_evidence", args=[evidence.pk])
    activate_totp(auditor)
    activate_totp(admin_user)
    for user in (auditor, admin_user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 complaint"
        assert "attachment" in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        assert PersonalDataAccess.objects.filter(
            viewer=user, subject=evidence.finding.collector, fields=["finding_evidence"]
        ).exists()
        client.logout()
    client.force_login(auditor)
    html = client.get(reverse("compliance_findings:inspect", args=[evidence.finding.pk])).content
    assert url.encode() in html
    assert evidence.file.url.encode() not in html  # never the storage URL


@pytest.mark.parametrize("role", ["trainer", "collector", "manager"])
def test_others_cannot_download_evidence(request, client, role, evidence):
    user = request.getfixturevalue(role)
    if role == "trainer":
        signed_in(client, user)
    else:
        client.force_login(user)
    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))
    assert response.status_code in {302, 403}
    assert not hasattr(response, "streaming_content")


def test_admin_pages_render_and_the_edit_form_links_evidence_through_the_checked_view(
    auditor_client, auditor, evidence, collector
):
    finding = evidence.finding
    for url in [
        reverse("compliance_findings:index"),
        reverse("compliance_findings:index") + "?status=open&severity=major&q=张三",
        reverse("compliance_findings:add"),
        reverse("compliance_findings:inspect", args=[finding.pk]),
        reverse("compliance_findings:dismiss", args=[finding.pk]),
    ]:
        assert auditor_client.get(url).status_code == 200, url
    html = auditor_client.get(reverse("compliance_findings:edit", args=[finding.pk])).content
    assert reverse("compliance_evidence", args=[evidence.pk]).encode() in html
    assert evidence.file.url.encode() not in html
    listing = auditor_client.get(reverse("compliance_findings:index") + "?status=dismissed")
    assert str(finding).encode() not in listing.content


def test_evidence_added_while_editing_records_who_uploaded_it(auditor_client, auditor, collector):
    finding = make_finding(collector)
    data = finding_form(
        collector,
        evidence=inline_formset([{"file": "", "description": "投诉信", "id": ""}]),
    )
    data["evidence-0-file"] = SimpleUploadedFile("letter.pdf", b"%PDF letter")
    response = auditor_client.post(reverse("compliance_findings:edit", args=[finding.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = FindingEvidence.objects.get(finding=finding)
    assert evidence.uploaded_by == auditor
