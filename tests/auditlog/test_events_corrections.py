"""Corrections that used to change a record silently, through the admin screens people use:
an open finding edited (``finding.edited``: what changed, from what to what, old and new
collector and firm; free text only in the personal part) and an admission condition marked
as met (``admission.condition_met``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from lms.admission.models import Conclusion, Decision
from lms.auditlog.models import AuditEvent
from lms.compliance import findings
from lms.compliance.models import Finding, FindingCategory, FindingSource, Severity
from tests.admission.decision_helpers import make_application
from tests.admission.test_decide import decide_url, form
from tests.auditlog.helpers import events_of, one_event
from tests.compliance.factories import make_finding
from tests.conftest import signed_in
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

DESCRIPTION = "晚上十点后多次致电债务人王五。"


def edit_form(finding: Finding, **overrides) -> dict:
    data = {
        "collector": finding.collector_id,
        "occurred_on": finding.occurred_on.isoformat(),
        "firm": finding.firm_id or "",
        "source": finding.source,
        "category": finding.category,
        "severity": finding.severity,
        "description": finding.description,
        "regulation": "",
        "evidence": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def edit_url(finding: Finding) -> str:
    return reverse("compliance_findings:edit", args=[finding.pk])


@pytest.fixture
def two_firms(collector, other_collector):
    first, second = FirmFactory(name="甲催收公司"), FirmFactory(name="乙催收公司")
    MembershipFactory(firm=first, user=collector)
    MembershipFactory(firm=second, user=other_collector)
    return first, second


def test_editing_an_open_finding_in_the_admin_writes_finding_edited(
    client, auditor, collector, other_collector, two_firms
):
    first, second = two_firms
    finding = make_finding(collector, by=auditor, description=DESCRIPTION)
    assert finding.firm == first
    old_date = finding.occurred_on
    new_date = old_date - timedelta(days=1)

    response = signed_in(client, auditor).post(
        edit_url(finding),
        edit_form(
            finding,
            collector=other_collector.pk,
            firm=second.pk,
            occurred_on=new_date.isoformat(),
            category=FindingCategory.THREATS,
            severity=Severity.CRITICAL,
            description="威胁债务人李六。",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    finding.refresh_from_db()
    assert (finding.collector, finding.firm, finding.severity) == (
        other_collector,
        second,
        Severity.CRITICAL,
    )
    event = one_event(
        "finding.edited",
        subject_type="compliance.finding",
        subject_id=str(finding.pk),
        subject_label=f"Finding #{finding.pk}",
        actor_kind="user",
        actor_id=str(auditor.pk),
        persons=sorted([collector.pk, other_collector.pk]),
    )
    assert event.firms == sorted(
        [{"id": firm.pk, "code": firm.credit_code} for firm in (first, second)],
        key=lambda firm: firm["id"],
    )
    assert event.payload == {
        "finding": finding.pk,
        "changed": {
            "collector": [collector.pk, other_collector.pk],
            "firm": [first.pk, second.pk],
            "occurred_on": [old_date.isoformat(), new_date.isoformat()],
            "category": [FindingCategory.UNREASONABLE_HOURS, FindingCategory.THREATS],
            "severity": [Severity.MAJOR, Severity.CRITICAL],
        },
        "text_changed": ["description"],
    }
    # Free text (it names people) only in the personal part.
    assert event.personal["changed"] == {"description": [DESCRIPTION, "威胁债务人李六。"]}
    for text in ("王五", "李六", collector.legal_name, other_collector.legal_name):
        assert text not in str(event.payload) + event.subject_label


def test_the_event_is_in_both_collectors_and_both_firms_trails(
    client, auditor, collector, other_collector, two_firms
):
    first, second = two_firms
    finding = make_finding(collector, by=auditor)
    signed_in(client, auditor).post(
        edit_url(finding), edit_form(finding, collector=other_collector.pk, firm=second.pk)
    )
    event = one_event("finding.edited")
    for url in (
        reverse("auditlog_trail:person", args=[collector.pk]),
        reverse("auditlog_trail:person", args=[other_collector.pk]),
        reverse("auditlog_trail:firm", args=[first.pk]),
        reverse("auditlog_trail:firm", args=[second.pk]),
    ):
        html = client.get(url).content.decode()
        assert reverse("auditlog_trail:event", args=[event.seq]) in html, url


def test_a_severity_change_alone_names_only_that_field(client, auditor, collector, two_firms):
    finding = make_finding(collector, by=auditor)
    signed_in(client, auditor).post(edit_url(finding), edit_form(finding, severity=Severity.MINOR))
    event = one_event("finding.edited", persons=[collector.pk])
    assert event.payload["changed"] == {"severity": [Severity.MAJOR, Severity.MINOR]}
    assert event.payload["text_changed"] == []
    assert event.personal is None or "changed" not in event.personal


def test_saving_the_form_unchanged_writes_nothing(client, auditor, collector, two_firms):
    finding = make_finding(collector, by=auditor)
    before = AuditEvent.objects.count()
    response = signed_in(client, auditor).post(edit_url(finding), edit_form(finding))
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_a_refused_edit_writes_nothing(client, auditor, collector, two_firms):
    finding = make_finding(collector, by=auditor)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = signed_in(client, auditor).post(
        edit_url(finding), edit_form(finding, occurred_on=tomorrow, source=FindingSource.COMPLAINT)
    )
    assert response.status_code == 200
    assert events_of("finding.edited") == []
    finding.refresh_from_db()
    assert finding.source == FindingSource.CALL_REVIEW


def test_a_decided_finding_cannot_be_corrected_even_by_the_service(auditor, collector, two_firms):
    from django.core.exceptions import ValidationError

    finding = make_finding(collector, by=auditor)
    findings.dismiss(finding, by=auditor, note="误报")
    finding = Finding.objects.get()
    finding.severity = Severity.CRITICAL
    with pytest.raises(ValidationError):
        findings.correct(finding, by=auditor)
    assert events_of("finding.edited") == []
    assert Finding.objects.get().severity == Severity.MAJOR


def test_a_correction_rolled_back_after_its_event_leaves_neither(
    monkeypatch, auditor, collector, two_firms
):
    from lms.auditlog import chain

    finding = make_finding(collector, by=auditor)
    record = chain.record

    def record_then_fail(*args, **kwargs):  # the event is written, then the transaction fails
        record(*args, **kwargs)
        assert AuditEvent.objects.filter(event_type="finding.edited").exists()
        raise RuntimeError("crash before commit")

    monkeypatch.setattr(chain, "record", record_then_fail)
    finding.severity = Severity.CRITICAL
    with pytest.raises(RuntimeError):
        findings.correct(finding, by=auditor)
    assert events_of("finding.edited") == []
    assert Finding.objects.get().severity == Severity.MAJOR


# --- Admission conditions -----------------------------------------------------------------------


def test_marking_a_condition_met_writes_admission_condition_met(client, admission_reviewer):
    application = make_application(41)
    signed_in(client, admission_reviewer)
    due = timezone.localdate() + timedelta(days=30)
    client.post(
        decide_url(application),
        form(
            Conclusion.CONDITIONAL,
            **{"conditions-0-text": "补交录音设备清单", "conditions-0-due_on": due.isoformat()},
        ),
    )
    decision = Decision.objects.get()
    condition = decision.conditions.get()
    application.refresh_from_db()
    met_url = reverse("admission_decisions:condition_met", args=[condition.pk])

    # Refused (a date in the future): nothing.
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.post(met_url, {"met_on": tomorrow}).status_code == 200
    assert events_of("admission.condition_met") == []

    response = client.post(met_url, {"met_on": "", "note": "已收到张三寄来的清单"})
    assert response.status_code == 302
    event = one_event(
        "admission.condition_met",
        subject_type="admission.condition",
        subject_id=str(condition.pk),
        subject_label=f"{application.credit_code} #{application.pk}",
        actor_kind="user",
        actor_id=str(admission_reviewer.pk),
        firms=[{"id": application.firm.pk, "code": application.firm.credit_code}],
    )
    assert event.payload == {
        "condition": condition.pk,
        "decision": decision.pk,
        "application": application.pk,
        "firm": application.firm_id,
        "due_on": due.isoformat(),
        "met_on": timezone.localdate().isoformat(),
    }
    assert event.personal["condition"] == "补交录音设备清单"
    assert event.personal["note"] == "已收到张三寄来的清单"
    assert "张三" not in str(event.payload) and "清单" not in str(event.payload)

    # Twice: refused, still one event.
    assert client.post(met_url, {"met_on": ""}).status_code == 403
    one_event("admission.condition_met")
