"""/healthz reports the database and the broker; 503 when the database is gone."""

from __future__ import annotations

from unittest import mock

from django.db import OperationalError, connection
from django.test import override_settings


def test_it_reports_ok_with_database_and_eager_tasks(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "eager"}}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_when_the_database_is_unreachable(client, db):
    # What psycopg/sqlite raise when the server is down or the file is gone.
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["database"] == "error"


# Nothing listens on port 9 of the loopback interface.
@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:9/0")
def test_an_unreachable_broker_is_reported_without_failing_the_check(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "broker": "error"},
    }


def test_it_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405
