"""The platform API (/api/v1/): authentication, scopes, firm isolation on every endpoint,
masking and the access log, pagination and filters, query budget, rate limit, OpenAPI, docs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from urllib.parse import quote

import pytest
from django.utils import timezone

from lms.compliance.models import ApiScope, PersonalDataAccess
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory

from .api_factories import bearer, issue_token, make_collector, move, rate

pytestmark = pytest.mark.django_db


class World:
    """Two agencies, each with a rated collector; certificates are issued on first use (a
    programme takes a course tree and an exam to build, which most tests do not need)."""

    def __init__(self, monkeypatch) -> None:
        use_fast_pdf(monkeypatch)
        self.firm = FirmFactory(name="阳光资产管理有限公司")
        self.other_firm = FirmFactory(name="其他催收有限公司")
        self.collector = make_collector(self.firm, legal_name="张小三", phone="13812345678")
        self.outsider = make_collector(self.other_firm, legal_name="李四", phone="13987654321")
        rate(self.collector, "A", "91.00", snapshots=3)
        rate(self.outsider, "D", "40.00")

    @cached_property
    def programme(self):
        return make_programme().programme

    @cached_property
    def certificate(self):
        return issue_certificate(self.collector, self.programme)

    @cached_property
    def other_certificate(self):
        return issue_certificate(self.outsider, self.programme)


@pytest.fixture
def world(monkeypatch) -> World:
    return World(monkeypatch)


@dataclass(frozen=True)
class Endpoint:
    name: str
    scope: str

    def url(self, world: World, *, foreign: bool = False) -> str:
        """The endpoint's URL for an object of the token's firm (or of the other firm)."""
        if self.name == "list":
            return "/api/v1/collectors"
        if self.name == "firm":
            return "/api/v1/firm"
        if self.name == "detail":
            collector = world.outsider if foreign else world.collector
            return f"/api/v1/collectors/{collector.pk}"
        certificate = world.other_certificate if foreign else world.certificate
        return f"/api/v1/certificates/{quote(certificate.verification_code)}"


ENDPOINTS = [
    Endpoint("list", ApiScope.COLLECTORS_READ),
    Endpoint("detail", ApiScope.RATINGS_READ),
    Endpoint("firm", ApiScope.RATINGS_READ),
    Endpoint("certificate", ApiScope.CERTIFICATES_VERIFY),
]
by_name = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)


# --- Authentication and scopes, every endpoint -------------------------------------------------


@by_name
def test_no_token_is_a_401_with_a_json_error(client, world, endpoint):
    response = client.get(endpoint.url(world))

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@by_name
def test_a_wrong_scheme_or_unknown_key_is_a_401(client, world, endpoint):
    _token, key = issue_token(world.firm)

    assert client.get(endpoint.url(world), HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    response = client.get(endpoint.url(world), **bearer(key + "x"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown API token."}


@by_name
def test_a_revoked_token_is_a_401(client, world, endpoint):
    token, key = issue_token(world.firm)
    token.revoke()

    response = client.get(endpoint.url(world), **bearer(key))

    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has been revoked."}


@by_name
def test_an_expired_token_is_a_401(client, world, endpoint):
    _token, key = issue_token(world.firm, expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(endpoint.url(world), **bearer(key))

    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has expired."}


@by_name
def test_a_token_without_the_scope_is_a_403_naming_it(client, world, endpoint):
    others = [scope for scope in ApiScope.values if scope != endpoint.scope]
    _token, key = issue_token(world.firm, others)

    response = client.get(endpoint.url(world), **bearer(key))

    assert response.status_code == 403
    assert response.json()["missing_scope"] == endpoint.scope


@by_name
def test_another_firms_object_is_invisible(client, world, endpoint):
    _token, key = issue_token(world.firm)

    response = client.get(endpoint.url(world, foreign=True), **bearer(key))

    if endpoint.name in ("detail", "certificate"):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    else:  # no id in the URL: the answer is about the token's own firm only
        assert response.status_code == 200
        body = str(response.json())
        assert world.other_firm.name not in body
        assert world.other_firm.credit_code not in body
        assert f"'id': {world.outsider.pk}," not in body


@by_name
def test_a_valid_token_with_the_scope_gets_its_firms_data(client, world, endpoint):
    _token, key = issue_token(world.firm, [endpoint.scope])

    response = client.get(endpoint.url(world), **bearer(key))

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")


# --- What each endpoint returns ----------------------------------------------------------------


def test_the_list_shows_rating_and_certificate_status_with_masked_personal_data(client, world):
    _token, key = issue_token(world.firm)

    data = client.get("/api/v1/collectors", **bearer(key)).json()

    assert data["count"] == 1
    row = data["results"][0]
    assert row["id"] == world.collector.pk
    assert row["name"] == "张*三"
    assert row["phone"] == "138****5678"
    assert row["masked"] is True
    assert row["grade"] == "A"
    assert row["score"] == 91.0
    assert row["certificate_status"] == "valid"
    assert row["employee_number"].startswith("E")
    assert row["updated_at"] is not None
    assert not PersonalDataAccess.objects.exists()


def test_personal_data_scope_unmasks_and_logs_each_row(client, world):
    second = make_collector(world.firm, legal_name="王五", phone="13700001111")
    token, key = issue_token(world.firm, [ApiScope.COLLECTORS_READ, ApiScope.PERSONAL_DATA])

    data = client.get("/api/v1/collectors", **bearer(key)).json()

    by_id = {row["id"]: row for row in data["results"]}
    assert by_id[world.collector.pk]["name"] == "张小三"
    assert by_id[world.collector.pk]["phone"] == "13812345678"
    assert by_id[second.pk]["masked"] is False
    logged = PersonalDataAccess.objects.order_by("subject_id")
    assert [row.subject_id for row in logged] == sorted([world.collector.pk, second.pk])
    for row in logged:
        assert row.token_id == token.pk
        assert row.viewer is None
        assert row.fields == ["legal_name", "phone"]
        assert row.context == "API GET /api/v1/collectors"


def test_a_collector_without_a_rating_is_listed_with_nulls(client, world):
    newcomer = make_collector(world.firm)
    _token, key = issue_token(world.firm)

    data = client.get("/api/v1/collectors", **bearer(key)).json()

    row = next(row for row in data["results"] if row["id"] == newcomer.pk)
    assert row["grade"] is None and row["score"] is None and row["updated_at"] is None


def test_a_collector_who_left_the_firm_disappears_from_it(client, world):
    move(world.collector, world.other_firm)
    _token, key = issue_token(world.firm)
    _other, other_key = issue_token(world.other_firm)

    assert client.get("/api/v1/collectors", **bearer(key)).json()["count"] == 0
    url = f"/api/v1/collectors/{world.collector.pk}"
    assert client.get(url, **bearer(key)).status_code == 404
    assert client.get(url, **bearer(other_key)).status_code == 200


def test_the_detail_has_the_breakdown_explanation_and_history(client, world):
    _token, key = issue_token(world.firm)

    response = client.get(
        f"/api/v1/collectors/{world.collector.pk}", HTTP_ACCEPT_LANGUAGE="en", **bearer(key)
    )

    data = response.json()
    rating = world.collector.rating
    assert data["components"] == rating.components
    assert data["inputs"] == rating.inputs
    assert data["formula_version"] == rating.formula_version
    assert any(line.startswith("Certification:") for line in data["explanation"])
    assert [item["reason"] for item in data["history"]] == ["event 2", "event 1", "event 0"]
    assert data["name"] == "张*三"


def test_the_detail_logs_an_unmasked_view(client, world):
    token, key = issue_token(world.firm, [ApiScope.RATINGS_READ, ApiScope.PERSONAL_DATA])

    data = client.get(f"/api/v1/collectors/{world.collector.pk}", **bearer(key)).json()

    assert data["phone"] == "13812345678"
    access = PersonalDataAccess.objects.get()
    assert (access.subject_id, access.token_id) == (world.collector.pk, token.pk)


def test_an_unknown_collector_id_is_a_404(client, world):
    _token, key = issue_token(world.firm)

    assert client.get("/api/v1/collectors/999999", **bearer(key)).status_code == 404


def test_the_firm_endpoint_shows_status_and_rating(client, world):
    from lms.compliance.models import FirmRating

    _token, key = issue_token(world.firm)
    assert client.get("/api/v1/firm", **bearer(key)).json()["rating"] is None

    FirmRating.objects.create(
        firm=world.firm,
        active_collectors=1,
        certified_share="0.5000",
        mean_score="91.00",
        grade_counts={"A": 1},
        flagged=True,
        flag_reasons=["certified_share"],
        formula_version="2026.1",
    )
    data = client.get("/api/v1/firm", **bearer(key)).json()

    assert data["credit_code"] == world.firm.credit_code
    assert data["status"] == "admitted"
    assert data["kind"] == "agency"
    assert data["rating"]["certified_share"] == 0.5
    assert data["rating"]["flagged"] is True
    assert data["rating"]["grade_counts"] == {"A": 1}


def test_certificate_verification_returns_its_status_and_programme(client, world):
    _token, key = issue_token(world.firm)
    certificate = world.certificate

    data = client.get(
        f"/api/v1/certificates/{quote(certificate.verification_code)}", **bearer(key)
    ).json()

    assert data["serial"] == certificate.serial
    assert data["status"] == "valid" and data["is_valid"] is True
    assert data["programme"]["code"] == certificate.programme.code
    assert data["holder"] == {
        "id": world.collector.pk,
        "name": "张*三",
        "masked": True,
        "employee_number": world.collector.memberships.get().employee_number,
    }


def test_a_certificate_past_its_expiry_is_reported_expired(client, world):
    _token, key = issue_token(world.firm)
    certificate = world.certificate
    type(certificate).objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - timedelta(days=800),
        expires_at=timezone.now() - timedelta(days=1),
    )

    data = client.get(
        f"/api/v1/certificates/{quote(certificate.verification_code)}", **bearer(key)
    ).json()

    assert data["status"] == "expired" and data["is_valid"] is False


def test_a_certificate_whose_holder_left_the_firm_is_a_404(client, world):
    _token, key = issue_token(world.firm)
    move(world.collector, world.other_firm)

    url = f"/api/v1/certificates/{quote(world.certificate.verification_code)}"
    assert client.get(url, **bearer(key)).status_code == 404
    assert client.get("/api/v1/certificates/no-such-code", **bearer(key)).status_code == 404


# --- Pagination, filters, query budget ---------------------------------------------------------


def test_pages_link_to_each_other_and_cover_every_collector(client, world):
    for _ in range(4):
        make_collector(world.firm)
    _token, key = issue_token(world.firm)

    first = client.get("/api/v1/collectors?page_size=2", **bearer(key)).json()
    assert first["count"] == 5
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/collectors?page_size=2&page=2"
    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"], **bearer(key)).json()
        seen += [row["id"] for row in page["results"]]
    assert page["page"] == 3 and page["previous"].endswith("page=2")
    assert seen == sorted(seen) and len(set(seen)) == 5

    beyond = client.get("/api/v1/collectors?page=9&page_size=2", **bearer(key)).json()
    assert beyond["results"] == [] and beyond["next"] is None


def test_bad_paging_or_grade_is_a_422(client, world):
    _token, key = issue_token(world.firm)

    for query in ("page=0", "page_size=500", "grade=E", "updated_since=yesterday"):
        assert client.get(f"/api/v1/collectors?{query}", **bearer(key)).status_code == 422


def test_the_list_filters_by_grade(client, world):
    graded = {}
    for grade in "ABCD":
        user = make_collector(world.firm)
        rate(user, grade)
        graded[grade] = user.pk
    _token, key = issue_token(world.firm)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/collectors?{query}", **bearer(key))
        return {row["id"] for row in response.json()["results"]}

    assert ids("grade=B") == {graded["B"]}
    assert ids("grade=C&grade=D") == {graded["C"], graded["D"]}
    assert ids("grade=A") == {graded["A"], world.collector.pk}


def test_the_list_filters_by_updated_since(client, world):
    old = make_collector(world.firm)
    rate(old, "B", changed_at=timezone.now() - timedelta(days=10))
    _token, key = issue_token(world.firm)
    since = timezone.now() - timedelta(days=1)

    def ids(value: str) -> set[int]:
        response = client.get(f"/api/v1/collectors?updated_since={value}", **bearer(key))
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    utc = since.astimezone(timezone.UTC)
    shanghai = timezone.localtime(since)
    assert ids(utc.strftime("%Y-%m-%dT%H:%M:%SZ")) == {world.collector.pk}
    assert ids(quote(shanghai.isoformat())) == {world.collector.pk}  # +08:00, URL-encoded
    assert ids(shanghai.replace(tzinfo=None).isoformat()) == {world.collector.pk}  # local time
    assert ids((utc - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")) == {
        world.collector.pk,
        old.pk,
    }


@pytest.mark.parametrize(
    "scopes", [[ApiScope.COLLECTORS_READ], ApiScope.values], ids=["masked", "unmasked"]
)
def test_a_page_costs_the_same_queries_for_10_or_50_collectors(
    client, world, django_assert_num_queries, scopes
):
    _token, key = issue_token(world.firm, scopes)
    client.get("/api/v1/collectors", **bearer(key))  # sets last_used_at (once a minute)

    def queries_for(collectors: int) -> int:
        while world.firm.memberships.count() < collectors:
            rate(make_collector(world.firm), "C")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            data = client.get("/api/v1/collectors", **bearer(key)).json()
        assert len(data["results"]) == collectors
        return len(captured)

    small = queries_for(10)
    assert queries_for(50) == small
    # token, count, page; when unmasked, + the access log's INSERT and its one audit event
    # (head, event, firm and person index rows; the append lock on PostgreSQL), each in a
    # savepoint here (the test's transaction): a constant, whatever the page size.
    from django.db import connection

    audit = 4 + 4 + (connection.vendor == "postgresql")
    assert small == (3 + 1 + audit if ApiScope.PERSONAL_DATA in scopes else 3)


# --- Tokens: last use, rate limit --------------------------------------------------------------


def test_last_use_is_recorded_at_most_once_a_minute(client, world):
    token, key = issue_token(world.firm)

    client.get("/api/v1/firm", **bearer(key))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/firm", **bearer(key))
    token.refresh_from_db()
    assert token.last_used_at == first

    type(token).objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/firm", **bearer(key))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_each_token_is_rate_limited_with_retry_after(client, world, settings):
    settings.API_RATE_LIMIT = "3/m"
    _token, key = issue_token(world.firm)
    _other, other_key = issue_token(world.firm)

    statuses = [client.get("/api/v1/firm", **bearer(key)).status_code for _ in range(3)]
    refused = client.get("/api/v1/firm", **bearer(key))

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json() == {"detail": "Too many requests."}
    assert client.get("/api/v1/firm", **bearer(other_key)).status_code == 200


# --- OpenAPI and the docs page -----------------------------------------------------------------


def test_the_openapi_schema_lists_every_endpoint_and_the_bearer_scheme(client, db):
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["openapi"].startswith("3.")
    operations = {
        path: methods["get"]
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
    }
    assert set(operations) == {
        "/api/v1/collectors",
        "/api/v1/collectors/{collector_id}",
        "/api/v1/firm",
        "/api/v1/firms/{credit_code}",
        "/api/v1/certificates/{verification_code}",
    }
    schemes = schema["components"]["securitySchemes"]
    assert schemes == {
        "TokenAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ssa_…",
            "description": schemes["TokenAuth"]["description"],
        }
    }
    required = {path: op["security"] for path, op in operations.items()}
    assert required["/api/v1/collectors"] == [{"TokenAuth": ["collectors:read"]}]
    assert required["/api/v1/certificates/{verification_code}"] == [
        {"TokenAuth": ["certificates:verify"]}
    ]
    parameters = {p["name"] for p in operations["/api/v1/collectors"]["parameters"]}
    assert {"grade", "updated_since", "page", "page_size"} <= parameters


def test_the_docs_page_loads_nothing_from_outside_the_site(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the docs page should reference its scripts and styles"
    assert all(url.startswith("/static/") for url in urls), urls
    assert "cdn" not in html.lower()
    assert '"validatorUrl": null' in html  # Swagger UI's online validator would post the schema
    assert '"url": "/api/v1/openapi.json"' in html
    for url in urls:  # and the files are really there
        assert client.get(url).status_code == 200, url
