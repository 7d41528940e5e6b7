"""A firm's admission standing through the API: ``GET /api/v1/firms/{credit_code}`` for the
token's own firm or a lender's currently contracted agency (anything else is a 404), and the
``admission_expired`` flag on ``/api/v1/firm``, which never changes the status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts.models import BanCategory, Firm, FirmKind, FirmStatus
from lms.compliance.models import ApiScope, FirmRating
from tests.factories import FirmFactory, UserFactory, credit_code

from .api_factories import bearer, issue_token
from .dashboard_factories import contract

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def url(firm_or_code) -> str:
    code = firm_or_code if isinstance(firm_or_code, str) else firm_or_code.credit_code
    return f"/api/v1/firms/{code}"


@pytest.fixture
def lender():
    return FirmFactory(name="阳光消费金融", kind=FirmKind.LENDER)


@pytest.fixture
def agency():
    return FirmFactory(name="晴川资产管理")


def ban(firm: Firm) -> None:
    first, second = UserFactory(), UserFactory()
    firm.change_status(
        FirmStatus.BANNED,
        by=first,
        confirmed_by=second,
        reason="经核实存在暴力催收，涉及债务人张三",
        category=BanCategory.VIOLENT_COLLECTION,
    )


def test_a_token_reads_its_own_firm(client, agency):
    _token, key = issue_token(agency, [ApiScope.RATINGS_READ])

    response = client.get(url(agency), **bearer(key))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["name"] == "晴川资产管理" and data["credit_code"] == agency.credit_code
    assert data["status"] == "admitted" and data["kind"] == "agency"
    assert data["ban_category"] is None and data["status_changed_at"] is None
    assert data["flagged"] is False and data["flag_reasons"] == []


def test_a_lender_reads_a_contracted_agency_and_sees_its_ban_without_reasons_or_people(
    client, lender, agency
):
    contract(lender, agency, starts_on=TODAY() - timedelta(days=100))
    ban(agency)
    _token, key = issue_token(lender, [ApiScope.RATINGS_READ])

    response = client.get(url(agency), **bearer(key))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "banned"
    assert data["ban_category"] == "violent_collection"
    assert data["status_changed_at"] is not None
    body = response.content.decode()
    assert "张三" not in body and "暴力催收" not in body and "@" not in body


def test_a_suspended_agency_shows_no_ban_category(client, lender, agency):
    contract(lender, agency, starts_on=TODAY())
    agency.change_status(FirmStatus.SUSPENDED, by=UserFactory(), reason="复评未通过")
    _token, key = issue_token(lender, [ApiScope.RATINGS_READ])

    data = client.get(url(agency), **bearer(key)).json()

    assert data["status"] == "suspended" and data["ban_category"] is None


@pytest.mark.parametrize(
    "starts, ends",
    [(-400, -1), (5, None)],  # a contract that has ended; one that has not started
    ids=["ended", "future"],
)
def test_a_lender_cannot_read_an_agency_it_does_not_contract_today(
    client, lender, agency, starts, ends
):
    contract(
        lender,
        agency,
        starts_on=TODAY() + timedelta(days=starts),
        ends_on=TODAY() + timedelta(days=ends) if ends is not None else None,
    )
    _token, key = issue_token(lender, [ApiScope.RATINGS_READ])

    response = client.get(url(agency), **bearer(key))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_other_firms_are_a_404_like_an_unknown_code(client, lender, agency):
    other_agency = FirmFactory(name="别家催收")
    other_lender = FirmFactory(kind=FirmKind.LENDER)
    contract(lender, agency, starts_on=TODAY())
    contract(other_lender, other_agency, starts_on=TODAY())
    _lender_token, lender_key = issue_token(lender, [ApiScope.RATINGS_READ])
    _agency_token, agency_key = issue_token(agency, [ApiScope.RATINGS_READ])

    for key, firm in [
        (lender_key, other_agency),  # a lender: only its own agencies
        (lender_key, other_lender),
        (agency_key, lender),  # an agency: not even the lender it works for
        (agency_key, other_agency),
    ]:
        response = client.get(url(firm), **bearer(key))
        assert response.status_code == 404, firm
        assert firm.name not in response.content.decode()
    unknown = client.get(url(credit_code(999_999)), **bearer(lender_key))
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not Found"}


def test_a_lowercase_code_is_read_and_a_malformed_one_refused(client, agency):
    _token, key = issue_token(agency, [ApiScope.RATINGS_READ])

    assert client.get(url(agency.credit_code.lower()), **bearer(key)).status_code == 200
    for bad in ["123", "9131000012345678X", "91310000123456789XX", "9131000012345678-X"]:
        assert client.get(url(bad), **bearer(key)).status_code in (404, 422), bad
    assert client.get(url("913100001234567-8X"), **bearer(key)).status_code == 422


def test_the_operation_needs_ratings_read(client, agency):
    _token, key = issue_token(agency, [ApiScope.COLLECTORS_READ])

    response = client.get(url(agency), **bearer(key))

    assert response.status_code == 403
    assert response.json()["missing_scope"] == "ratings:read"
    assert client.get(url(agency)).status_code == 401


def test_an_expired_admission_is_a_flag_and_the_status_stays(client, lender, agency):
    contract(lender, agency, starts_on=TODAY())
    Firm.objects.filter(pk=agency.pk).update(admission_expires_on=TODAY() - timedelta(days=1))
    FirmRating.objects.create(
        firm=agency,
        active_collectors=10,
        certified_share="0.7000",
        mean_score="70.00",
        grade_counts={"B": 10},
        flagged=True,
        flag_reasons=["certified_share"],
        formula_version="2026.1",
    )
    _token, key = issue_token(agency, [ApiScope.RATINGS_READ])
    _lender_token, lender_key = issue_token(lender, [ApiScope.RATINGS_READ])

    own = client.get("/api/v1/firm", **bearer(key)).json()
    seen_by_lender = client.get(url(agency), **bearer(lender_key)).json()

    assert own["status"] == "admitted"
    assert own["admission_expired"] is True
    assert own["admission_expires_on"] == (TODAY() - timedelta(days=1)).isoformat()
    assert own["rating"]["flagged"] is True
    assert own["rating"]["flag_reasons"] == ["certified_share", "admission_expired"]
    assert seen_by_lender["status"] == "admitted" and seen_by_lender["admission_expired"]
    assert seen_by_lender["flag_reasons"] == ["certified_share", "admission_expired"]
    agency.refresh_from_db()
    assert agency.status == FirmStatus.ADMITTED


def test_an_admission_valid_today_is_not_flagged(client, agency):
    Firm.objects.filter(pk=agency.pk).update(admission_expires_on=TODAY())
    _token, key = issue_token(agency, [ApiScope.RATINGS_READ])

    data = client.get("/api/v1/firm", **bearer(key)).json()

    assert (
        data["admission_expired"] is False and data["admission_expires_on"] == TODAY().isoformat()
    )
    assert client.get(url(agency), **bearer(key)).json()["flag_reasons"] == []


def test_the_operation_is_in_the_openapi_schema_with_its_scope(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/firms/{credit_code}"]["get"]
    assert operation["security"] == [{"TokenAuth": ["ratings:read"]}]
    assert {"200", "404", "422"} <= set(operation["responses"])
