"""Licence and evidence downloads in the admin: permission-checked, private, not cached."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.admission.review_fixtures import PDF, make_application
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def urls(application) -> list[str]:
    licence = application.licences.get()
    evidence = application.answers.exclude(evidence="").first()
    return [
        reverse("admission_applications:licence", args=[licence.pk]),
        reverse("admission_applications:evidence", args=[evidence.pk]),
    ]


@pytest.mark.parametrize("persona", ["admission_reviewer", "admin_user"])
def test_reviewers_download_licences_and_evidence(client, request, persona):
    application = make_application()
    signed_in(client, request.getfixturevalue(persona))
    for url in urls(application):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("persona", ["collector", "manager", "trainer", "reviewer", "auditor"])
def test_other_roles_cannot_download(client, request, persona):
    application = make_application()
    signed_in(client, request.getfixturevalue(persona))
    for url in urls(application):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert not getattr(response, "streaming", False)


def test_anonymous_cannot_download(client):
    application = make_application()
    for url in urls(application):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_an_answer_without_evidence_is_not_found(client, admission_reviewer):
    application = make_application()
    answer = application.answers.filter(evidence="").first()
    signed_in(client, admission_reviewer)
    response = client.get(reverse("admission_applications:evidence", args=[answer.pk]))
    assert response.status_code == 404
