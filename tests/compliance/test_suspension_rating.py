"""A suspended certificate in the compliance rating (formula 2026.2), on the manager's roster,
in the webhooks (``certificate.suspended`` / ``certificate.reinstated``) and in the platform
API (issue 13). Each through the real path: the suspension service, its signal after commit,
the recompute task (eager), the HTTP views."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.certificates import suspension
from exams.certificates.models import CertificateSuspension
from lms.compliance import formula, recompute
from lms.compliance.dashboard.roster import CERTIFICATE_STATES
from lms.compliance.models import (
    CollectorRating,
    FirmRating,
    RatingSnapshot,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.compliance.test_webhooks import Receiver
from tests.exams.certificate_factories import issue_certificate
from tests.factories import MembershipFactory

from .api_factories import bearer, issue_token
from .dashboard_factories import make_manager

pytestmark = pytest.mark.django_db
FINDING = CertificateSuspension.Category.FINDING
LAW_CHANGE = CertificateSuspension.Category.LAW_CHANGE
A_CLEAN = Decimal("93.13")  # certified today at 92.50 %, nothing overdue, clean conduct
WITHOUT_CERTIFICATION = Decimal("45.00")  # the same collector with no valid certificate


@pytest.fixture
def holder(firm):
    return MembershipFactory(firm=firm).user


@pytest.fixture
def certificate(holder, programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return issue_certificate(holder, programme)


def suspend(certificate, django_capture_on_commit_callbacks, category=FINDING):
    with django_capture_on_commit_callbacks(execute=True):
        suspension.suspend(certificate, category=category, reason="稽核单号 JH-0417")


def reinstate(certificate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        suspension.reinstate(certificate)


# --- The formula -------------------------------------------------------------------------------


def standing(status, **fields):
    return formula.ProgrammeStanding(
        code="basic",
        name="合规催收从业资格",
        status=status,
        score=Decimal("92.50") if status == "valid" else None,
        expires_on=date(2027, 6, 1),
        **fields,
    )


def test_the_formula_version_says_suspension_changed_it():
    # 2026.2 made suspension count; 2026.3 (CPD hours) kept it.
    assert formula.FORMULA_VERSION == "2026.3"


def test_a_suspended_programme_earns_no_certification_points_and_caps_nothing():
    today = date(2026, 12, 7)
    result = formula.rate_collector(
        formula.CollectorInputs(today=today, programmes=(standing("suspended"),))
    )
    certification = result.components["certification"]
    assert (certification["points"], certification["valid"]) == (0, 0)
    assert certification["missing"] == ["合规催收从业资格"]
    assert result.certificate_status == formula.SUSPENDED
    assert not result.certified
    assert result.caps == ()  # reversible: no lapsed-certificate cap
    assert result.score == WITHOUT_CERTIFICATION


def test_the_summary_puts_revoked_before_suspended_before_expired():
    summary = formula.certificate_summary
    assert summary([standing("suspended"), standing("expired")])[0] == "suspended"
    assert summary([standing("revoked"), standing("suspended")])[0] == "revoked"
    assert summary([standing("valid"), standing("suspended")])[0] == "suspended"


# --- The recompute, driven by the suspension's signal ------------------------------------------


def test_suspending_recomputes_the_rating_and_reinstating_restores_it(
    certificate, holder, firm, django_capture_on_commit_callbacks
):
    rating = CollectorRating.objects.get(user=holder)
    assert (rating.score, rating.certificate_status) == (A_CLEAN, "valid")

    suspend(certificate, django_capture_on_commit_callbacks)

    rating.refresh_from_db()
    assert (rating.score, rating.grade, rating.certificate_status) == (
        WITHOUT_CERTIFICATION,
        "D",
        "suspended",
    )
    assert rating.components["formula_version"] == formula.FORMULA_VERSION
    assert RatingSnapshot.objects.filter(user=holder).latest("pk").reason == "certificate_suspended"
    assert rating.certificate_expires_at == certificate.expires_at
    assert FirmRating.objects.get(firm=firm).certified_share == 0

    reinstate(certificate, django_capture_on_commit_callbacks)

    rating.refresh_from_db()
    assert (rating.score, rating.certificate_status) == (A_CLEAN, "valid")
    assert FirmRating.objects.get(firm=firm).certified_share == 1
    reason = RatingSnapshot.objects.filter(user=holder).latest("pk").reason
    assert reason == "certificate_reinstated"


def test_a_suspended_certificate_past_its_expiry_counts_as_expired(certificate, holder):
    suspension.suspend(certificate, category=LAW_CHANGE, reason="逾期")
    later = certificate.expires_at + timedelta(hours=1)

    recompute.for_users([holder.pk], "test", now=later)

    rating = CollectorRating.objects.get(user=holder)
    assert rating.certificate_status == "expired"
    assert "lapsed_certificate" in [cap["code"] for cap in rating.components["caps"]]


# --- The manager's roster ----------------------------------------------------------------------


def test_the_managers_roster_shows_suspended_and_filters_on_it(
    client, certificate, holder, firm, django_capture_on_commit_callbacks
):
    suspend(certificate, django_capture_on_commit_callbacks)
    boss = make_manager("boss@agency.example", "赵经理", firm, preferred_language="zh-hans")
    client.force_login(boss)

    response = client.get(reverse("dashboard:roster"))
    filtered = client.get(reverse("dashboard:roster"), {"certificate": "suspended"})

    assert response.status_code == 200
    [row] = [row for row in response.context["rows"] if row.user.pk == holder.pk]
    assert row.certificate_state == "suspended"
    assert "已暂停" in response.content.decode()
    assert [row.user.pk for row in filtered.context["rows"]] == [holder.pk]
    assert "suspended" in CERTIFICATE_STATES


# --- Webhooks ----------------------------------------------------------------------------------


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    server = Receiver()
    yield server
    server.close()


def test_suspension_and_reinstatement_are_announced_without_the_reason(
    firm, receiver, certificate, django_capture_on_commit_callbacks
):
    WebhookSubscription.objects.create(
        firm=firm,
        url=receiver.url,
        events=["certificate.suspended", "certificate.reinstated", "certificate.issued"],
    )

    suspend(certificate, django_capture_on_commit_callbacks)
    [suspended] = WebhookDelivery.objects.filter(event="certificate.suspended")
    data = suspended.payload["data"]["certificate"]
    assert data["status"] == "suspended"
    assert data["suspension"]["category"] == "finding"
    assert data["suspension"]["since"]
    assert "JH-0417" not in json.dumps(suspended.payload, ensure_ascii=False)
    assert suspended.status == "succeeded"

    reinstate(certificate, django_capture_on_commit_callbacks)
    [reinstated] = WebhookDelivery.objects.filter(event="certificate.reinstated")
    data = reinstated.payload["data"]["certificate"]
    assert (data["status"], data["suspension"]) == ("valid", None)
    events = [request["headers"]["X-SSA-Event"] for request in receiver.requests]
    assert events == ["certificate.suspended", "certificate.reinstated"]


# --- The platform API --------------------------------------------------------------------------


def test_the_api_reports_a_suspension_with_its_category_and_since(
    client, firm, certificate, django_capture_on_commit_callbacks
):
    _token, key = issue_token(firm)
    url = f"/api/v1/certificates/{quote(certificate.verification_code)}"
    suspend(certificate, django_capture_on_commit_callbacks, category=LAW_CHANGE)
    started = certificate.open_suspension.started_at

    data = client.get(url, **bearer(key)).json()

    assert (data["status"], data["is_valid"]) == ("suspended", False)
    assert data["suspension"]["category"] == "law-change"
    assert abs(timezone.datetime.fromisoformat(data["suspension"]["since"]) - started) < timedelta(
        seconds=1
    )
    assert "逾期" not in json.dumps(data, ensure_ascii=False)

    reinstate(certificate, django_capture_on_commit_callbacks)
    data = client.get(url, **bearer(key)).json()
    assert (data["status"], data["is_valid"], data["suspension"]) == ("valid", True, None)


def test_the_openapi_schema_documents_the_suspended_status(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    schemas = schema["components"]["schemas"]
    certificate = schemas["CertificateOut"]
    assert "suspended" in certificate["properties"]["status"]["enum"]
    assert "suspension" in certificate["properties"]
    suspension_schema = schemas["SuspensionOut"]
    assert set(suspension_schema["properties"]) == {"category", "since"}
    assert suspension_schema["properties"]["category"]["enum"] == ["law-change", "finding"]
