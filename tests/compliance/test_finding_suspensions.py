"""Suspending a collector's certificates while a critical finding is open (issue 13): through
the findings admin, with a reason; reinstated when the finding is dismissed; revoked or
reinstated, certificate by certificate, when it is confirmed. Who may, for each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from exams.certificates import suspension
from exams.certificates.models import CertificateStatus, CertificateSuspension
from lms.compliance import findings
from lms.compliance.models import FindingStatus, FindingSuspension, Severity
from tests.compliance.factories import make_finding
from tests.conftest import make_user, signed_in
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db
REASON = "录音显示威胁债务人家属，待稽核结论"


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def membership(firm, collector):
    return MembershipFactory(firm=firm, user=collector)


@pytest.fixture
def certificates(collector, membership):
    return [issue_certificate(collector, make_programme(courses=0).programme) for _ in range(2)]


@pytest.fixture
def critical(collector, membership, auditor):
    return make_finding(collector, by=auditor, severity=Severity.CRITICAL)


@pytest.fixture
def auditor_client(client, auditor):
    auditor.preferred_language = "en"
    auditor.save(update_fields=["preferred_language"])
    return signed_in(client, auditor)


def url(name, finding):
    return reverse(f"compliance_findings:{name}", args=[finding.pk])


def statuses(certificates) -> list[str]:
    for certificate in certificates:
        certificate.refresh_from_db()
    return [certificate.status for certificate in certificates]


def suspend_over_http(client, finding, reason=REASON, certificates=None):
    """POST the suspend form; ``certificates`` ticked (default: all, as the form starts)."""
    if certificates is None:
        certificates = findings.suspendable_certificates(finding)
    chosen = [certificate.pk for certificate in certificates]
    return client.post(
        url("suspend_certificates", finding), {"reason": reason, "certificates": chosen}
    )


# --- Suspending --------------------------------------------------------------------------------


def test_an_auditor_suspends_the_collectors_valid_certificates_with_a_reason(
    auditor_client, auditor, critical, certificates
):
    page = auditor_client.get(url("suspend_certificates", critical))
    assert page.status_code == 200
    assert all(c.serial in page.content.decode() for c in certificates)
    assert suspend_over_http(auditor_client, critical, reason="  ").status_code == 200
    assert statuses(certificates) == [CertificateStatus.VALID] * 2  # a reason is required

    response = suspend_over_http(auditor_client, critical)

    assert response.status_code == 302
    assert statuses(certificates) == [CertificateStatus.SUSPENDED] * 2
    links = FindingSuspension.objects.filter(finding=critical)
    assert links.count() == 2
    for link in links.select_related("suspension"):
        assert link.suspension.category == CertificateSuspension.Category.FINDING
        assert (link.suspension.reason, link.suspension.started_by) == (REASON, auditor)
    inspect = auditor_client.get(url("inspect", critical)).content.decode()
    assert "Certificates suspended pending this finding" in inspect
    assert REASON in inspect  # auditors see the reason; the public never does


def test_the_auditor_chooses_which_certificates_to_suspend(
    auditor_client, auditor, critical, certificates
):
    first, second = certificates
    page = auditor_client.get(url("suspend_certificates", critical)).content.decode()
    for certificate in certificates:  # a checkbox each, ticked
        assert f'value="{certificate.pk}"' in page
    assert page.count('name="certificates"') == 2
    assert page.count("checked") >= 2

    response = suspend_over_http(auditor_client, critical, certificates=[])
    assert response.status_code == 200
    assert "Choose at least one certificate to suspend." in response.content.decode()
    assert statuses(certificates) == [CertificateStatus.VALID] * 2

    response = suspend_over_http(auditor_client, critical, certificates=[second])

    assert response.status_code == 302
    assert statuses(certificates) == [CertificateStatus.VALID, CertificateStatus.SUSPENDED]
    (link,) = FindingSuspension.objects.filter(finding=critical)
    assert link.suspension.certificate_id == second.pk
    # The one left valid can still be suspended later, pending the same finding.
    assert suspend_over_http(auditor_client, critical).status_code == 302
    assert statuses(certificates) == [CertificateStatus.SUSPENDED] * 2


def test_another_collectors_certificate_cannot_be_slipped_in(
    auditor_client, critical, certificates
):
    stranger = make_user("stranger@example.com", "旁人")
    theirs = issue_certificate(stranger, make_programme(courses=0).programme)

    response = suspend_over_http(auditor_client, critical, certificates=[theirs])

    assert response.status_code == 200  # not one of the choices
    assert statuses([theirs, *certificates]) == [CertificateStatus.VALID] * 3
    assert (
        findings.suspend_certificates(
            critical, by=critical.recorded_by, reason=REASON, certificate_ids=[theirs.pk]
        )
        == []
    )
    assert statuses([theirs]) == [CertificateStatus.VALID]
    with pytest.raises(findings.FindingError):
        findings.suspend_certificates(
            critical, by=critical.recorded_by, reason=REASON, certificate_ids=[]
        )


def test_a_collector_without_a_valid_certificate_has_nothing_to_suspend(auditor_client, critical):
    page = auditor_client.get(url("suspend_certificates", critical)).content.decode()
    assert "the collector holds no valid certificate" in page
    assert 'name="reason"' not in page


def test_only_an_open_critical_finding_allows_it(auditor_client, collector, membership, auditor):
    certificate = issue_certificate(collector, make_programme(courses=0).programme)
    major = make_finding(collector, by=auditor, severity=Severity.MAJOR)

    page = auditor_client.get(url("suspend_certificates", major))
    assert "only while a critical finding is open" in page.content.decode()
    suspend_over_http(auditor_client, major)

    assert statuses([certificate]) == [CertificateStatus.VALID]
    with pytest.raises(findings.FindingError):
        findings.suspend_certificates(major, by=auditor, reason=REASON)
    assert "Suspend certificates" not in auditor_client.get(url("inspect", major)).content.decode()


def test_a_law_change_suspension_in_force_is_left_alone(auditor, critical, certificates):
    first, second = certificates
    suspension.suspend(
        first, category=CertificateSuspension.Category.LAW_CHANGE, reason="逾期未完成更新"
    )

    links = findings.suspend_certificates(critical, by=auditor, reason=REASON)

    assert [link.suspension.certificate_id for link in links] == [second.pk]
    assert first.suspensions.get().category == CertificateSuspension.Category.LAW_CHANGE


# --- Dismissing and confirming -----------------------------------------------------------------


def test_dismissing_the_finding_reinstates_the_certificates(
    auditor_client, auditor, critical, certificates, django_capture_on_commit_callbacks
):
    suspend_over_http(auditor_client, critical)
    assert "reinstated" in auditor_client.get(url("dismiss", critical)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(url("dismiss", critical), {"note": "录音不是本人。"})

    assert response.status_code == 302
    assert statuses(certificates) == [CertificateStatus.VALID] * 2
    for link in FindingSuspension.objects.filter(finding=critical).select_related("suspension"):
        assert link.suspension.outcome == CertificateSuspension.Outcome.REINSTATED
        assert link.suspension.ended_by == auditor


def test_confirming_asks_for_each_certificate_revoke_or_reinstate(
    auditor_client, critical, certificates, django_capture_on_commit_callbacks
):
    first, second = certificates
    suspend_over_http(auditor_client, critical)
    confirm = url("confirm", critical)
    page = auditor_client.get(confirm).content.decode()
    assert f'name="action_{first.pk}"' in page and f'name="action_{second.pk}"' in page

    # No choice: nothing is decided.
    assert auditor_client.post(confirm, {"note": "证据确凿。"}).status_code == 200
    critical.refresh_from_db()
    assert critical.status == FindingStatus.OPEN
    # Revoking needs a reason.
    data = {
        "note": "证据确凿。",
        f"action_{first.pk}": "revoke",
        f"action_{second.pk}": "reinstate",
    }
    assert auditor_client.post(confirm, data).status_code == 200
    assert statuses(certificates) == [CertificateStatus.SUSPENDED] * 2

    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(confirm, {**data, f"reason_{first.pk}": "稽核确认威胁行为"})

    assert response.status_code == 302
    critical.refresh_from_db()
    assert critical.status == FindingStatus.CONFIRMED
    assert statuses(certificates) == [CertificateStatus.REVOKED, CertificateStatus.VALID]
    assert first.revocation_reason == "稽核确认威胁行为"
    outcomes = {
        link.suspension.certificate_id: link.suspension.outcome
        for link in FindingSuspension.objects.select_related("suspension")
    }
    assert outcomes == {
        first.pk: CertificateSuspension.Outcome.REVOKED,
        second.pk: CertificateSuspension.Outcome.REINSTATED,
    }


def test_confirming_without_suspensions_works_as_before(auditor_client, critical):
    response = auditor_client.post(url("confirm", critical), {"note": "证据确凿。"})
    assert response.status_code == 302
    critical.refresh_from_db()
    assert critical.status == FindingStatus.CONFIRMED


@pytest.mark.parametrize("upheld", [True, False])
def test_an_appeal_decision_ends_the_suspensions_too(
    auditor_client, collector, critical, certificates, upheld
):
    first, second = certificates
    suspend_over_http(auditor_client, critical)
    findings.appeal(critical, by=collector, grounds="不是我打的电话")
    decide = url("decide_appeal", critical)
    outcome = "upheld" if upheld else "rejected"
    if not upheld:  # the finding stands: each certificate needs a choice
        response = auditor_client.post(decide, {"outcome": outcome, "note": "复核完毕。"})
        assert response.status_code == 200
        assert statuses(certificates) == [CertificateStatus.SUSPENDED] * 2

    response = auditor_client.post(
        decide,
        {
            "outcome": outcome,
            "note": "复核完毕。",
            f"action_{first.pk}": "reinstate",
            f"action_{second.pk}": "reinstate",
        },
    )

    assert response.status_code == 302
    assert statuses(certificates) == [CertificateStatus.VALID] * 2


# --- Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["trainer", "reviewer"])
def test_staff_without_the_permission_cannot_suspend(request, client, role, critical, certificates):
    signed_in(client, request.getfixturevalue(role))
    page = client.get(url("suspend_certificates", critical))
    assert page.status_code in {302, 403}
    suspend_over_http(client, critical)
    assert statuses(certificates) == [CertificateStatus.VALID] * 2


@pytest.mark.parametrize("role", ["collector", "manager"])
def test_collectors_and_managers_are_sent_to_sign_in(request, client, role, critical, certificates):
    client.force_login(request.getfixturevalue(role))
    response = suspend_over_http(client, critical)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert statuses(certificates) == [CertificateStatus.VALID] * 2


def test_the_collectors_own_manager_and_another_firms_manager_cannot_suspend(
    client, firm, critical, certificates
):
    own = make_user("own.manager@example.com", "本司经理")
    MembershipFactory(firm=firm, user=own, role="manager")
    other = make_user("other.manager@example.com", "他司经理")
    MembershipFactory(firm=FirmFactory(name="别家公司"), user=other, role="manager")
    for manager in (own, other):
        client.force_login(manager)
        assert suspend_over_http(client, critical).status_code in {302, 403}
    assert statuses(certificates) == [CertificateStatus.VALID] * 2


def test_the_findings_clerk_without_suspend_finding_cannot(client, critical, certificates):
    clerk = make_user("clerk@example.com", "记录员")
    group = Group.objects.create(name="Finding clerks")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="compliance",
            codename__in=["add_finding", "change_finding", "view_finding", "decide_finding"],
        ),
        Permission.objects.get(codename="access_admin"),
    )
    clerk.groups.add(group)
    signed_in(client, clerk)

    assert client.get(url("inspect", critical)).status_code == 200
    assert suspend_over_http(client, critical).status_code in {302, 403}
    assert statuses(certificates) == [CertificateStatus.VALID] * 2


def test_auditors_hold_the_permission_and_superusers_may_too(
    client, auditor, admin_user, collector, certificates
):
    assert auditor.has_perm("compliance.suspend_finding")
    other_firm_collector = make_user("elsewhere@example.com", "外司催收员")
    MembershipFactory(firm=FirmFactory(name="外地公司"), user=other_firm_collector)
    certificate = issue_certificate(other_firm_collector, make_programme(courses=0).programme)
    finding = make_finding(other_firm_collector, severity=Severity.CRITICAL)
    signed_in(client, admin_user)

    assert suspend_over_http(client, finding).status_code == 302

    assert statuses([certificate]) == [CertificateStatus.SUSPENDED]
    assert statuses(certificates) == [CertificateStatus.VALID] * 2  # only that collector's


# --- A legal-update deadline that passed meanwhile ---------------------------------------------


def test_dismissing_after_a_missed_update_deadline_keeps_it_suspended_for_the_update(
    auditor_client, auditor, collector, critical, django_capture_on_commit_callbacks
):
    """Review item 8: not valid until the nightly job suspends it again, but switched at once."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.exams.update_factories import certificate_on, make_module, superseding_change

    change = superseding_change()
    programme = make_programme(courses=0).programme
    module = make_module(programme, change, deadline=timezone.localdate() - timedelta(days=3))
    overdue = certificate_on(
        collector, programme, change.old, now=timezone.now() - timedelta(days=200)
    )
    current = issue_certificate(collector, make_programme(courses=0).programme)
    suspend_over_http(auditor_client, critical)
    assert statuses([overdue, current]) == [CertificateStatus.SUSPENDED] * 2

    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(url("dismiss", critical), {"note": "录音不是本人。"})

    assert response.status_code == 302
    assert statuses([overdue, current]) == [CertificateStatus.SUSPENDED, CertificateStatus.VALID]
    outcomes = {
        link.suspension.certificate_id: link.suspension.outcome
        for link in FindingSuspension.objects.filter(finding=critical).select_related("suspension")
    }
    assert outcomes == {
        overdue.pk: CertificateSuspension.Outcome.REPLACED,
        current.pk: CertificateSuspension.Outcome.REINSTATED,
    }
    now_open = overdue.open_suspension
    assert now_open.category == CertificateSuspension.Category.LAW_CHANGE
    assert now_open.update_module == module
    assert findings.pending_suspensions(critical) == []
