"""The platform API under bad input: every integer and the verification code are bounded (422,
not a database overflow), NUL is a JSON 400, unknown paths a JSON 404, and the OpenAPI schema
lists every status each operation can answer."""

from __future__ import annotations

import pytest

from tests.factories import FirmFactory

from .api_factories import bearer, issue_token, make_collector, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> str:
    firm = FirmFactory(name="阳光资产管理有限公司")
    rate(make_collector(firm), "A", "91.00")
    return issue_token(firm)[1]


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("page=9223372036854775807", ["query", "page"]),
        ("page=100001", ["query", "page"]),
        ("page_size=99999999999999999999", ["query", "page_size"]),
        ("updated_since=0.5", ["query", "updated_since"]),
        ("updated_since=1700000000", ["query", "updated_since"]),
    ],
)
def test_an_out_of_bounds_list_parameter_is_a_422_naming_it(client, key, query, where):
    response = client.get(f"/api/v1/collectors?{query}", **bearer(key))

    assert response.status_code == 422
    assert [issue["loc"] for issue in response.json()["detail"]] == [where]


@pytest.mark.parametrize(
    ("since", "found"),
    [
        # ISO 8601 offsets PostgreSQL refuses (schemathesis found the first): read in UTC.
        ("0536-01-05T20:17:52-21:11", 1),
        ("2999-01-05T20:17:52%2B23:59", 0),
        # UTC before year 1 or after 9999: from the beginning, or nothing yet.
        ("0001-01-01T00:00:00%2B05:00", 1),
        ("9999-12-31T23:00:00-05:00", 0),
        ("2026-01-05T20:17:52%2B14:00", 1),
    ],
)
def test_any_iso_offset_is_read_in_utc(client, key, since, found):
    response = client.get(f"/api/v1/collectors?updated_since={since}", **bearer(key))

    assert response.status_code == 200
    assert response.json()["count"] == found


def test_the_last_allowed_page_is_an_empty_page(client, key):
    response = client.get("/api/v1/collectors?page=100000&page_size=200", **bearer(key))

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("collector_id", ["0", "-1", "9223372036854775808", "9" * 30, "abc"])
def test_a_collector_id_outside_bigint_or_not_a_number_is_a_422(client, key, collector_id):
    response = client.get(f"/api/v1/collectors/{collector_id}", **bearer(key))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "collector_id"]


def test_the_largest_bigint_is_an_ordinary_404(client, key):
    response = client.get("/api/v1/collectors/9223372036854775807", **bearer(key))

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("code", ["x" * 33, "has space", "名字", "a.b"])
def test_a_verification_code_that_cannot_exist_is_a_422(client, key, code):
    response = client.get(f"/api/v1/certificates/{code}", **bearer(key))

    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/certificates/%00",
        "/api/v1/collectors?grade=A%00",
        "/api/v1/firm?x=%ED%A0%80",
        "/api/v1/firms/91310000%00000000X",
    ],
)
def test_nul_or_invalid_utf8_is_a_json_400_before_authentication(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/collectors/1/extra"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_the_schema_lists_every_status_each_operation_answers(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    statuses = {path: set(ops["get"]["responses"]) for path, ops in paths.items()}
    always = {"200", "400", "401", "403", "429"}
    assert statuses == {
        "/api/v1/collectors": always | {"422"},
        "/api/v1/collectors/{collector_id}": always | {"404", "422"},
        "/api/v1/firm": always,
        "/api/v1/firms/{credit_code}": always | {"404", "422"},
        "/api/v1/certificates/{verification_code}": always | {"404", "422"},
    }
    page = next(p for p in paths["/api/v1/collectors"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == 100_000
