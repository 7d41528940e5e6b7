"""Audit evidence and admission licences in the private bucket: the checked views redirect to
signed URLs carrying the detected type; others get no URL; the store refuses it unsigned."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from lms.compliance.models import FindingEvidence, PersonalDataAccess
from tests.admission.review_fixtures import PDF, make_application
from tests.compliance.factories import make_finding
from tests.conftest import signed_in

from .conftest import fetch, tampered, unsigned

pytestmark = pytest.mark.django_db


def test_an_admission_reviewer_gets_the_licence_through_a_signed_url(
    object_storage, client, admission_reviewer
):
    application = make_application()
    licence = application.licences.get()
    assert set(object_storage.keys(object_storage.private_bucket)) == {
        licence.file.name,
        *_evidence_names(application),
    }
    assert object_storage.keys(object_storage.media_bucket) == []
    signed_in(client, admission_reviewer)
    response = client.get(reverse("admission_applications:licence", args=[licence.pk]))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    fetched = fetch(url)
    assert (fetched.status, fetched.body) == (200, PDF)
    assert fetched.headers["content-type"] == "application/pdf"
    # PDF opens in the browser (an inline type), under the name it was uploaded with.
    name = quote("营业执照.pdf")
    assert fetched.headers["content-disposition"] == f"inline; filename*=utf-8''{name}"
    assert fetch(unsigned(url)).status == 403
    assert fetch(tampered(url)).status == 403


def _evidence_names(application) -> list[str]:
    return [answer.evidence.name for answer in application.answers.exclude(evidence="")]


def test_others_get_no_licence_url(object_storage, client, collector):
    application = make_application()
    licence = application.licences.get()
    signed_in(client, collector)
    response = client.get(reverse("admission_applications:licence", args=[licence.pk]))
    assert response.status_code in (302, 403)
    assert "X-Amz" not in response.get("Location", "")


@pytest.fixture
def evidence(object_storage, collector, auditor) -> FindingEvidence:
    finding = make_finding(collector, by=auditor)
    return FindingEvidence.objects.create(
        finding=finding,
        file=SimpleUploadedFile("complaint.pdf", b"%PDF-1.4 complaint"),
        uploaded_by=auditor,
    )


def test_an_auditor_gets_finding_evidence_through_a_signed_url_and_it_is_logged(
    object_storage, client, auditor, evidence
):
    assert object_storage.keys(object_storage.private_bucket) == [evidence.file.name]
    signed_in(client, auditor)
    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))
    assert response.status_code == 302
    url = response["Location"]
    fetched = fetch(url)
    assert (fetched.status, fetched.body) == (200, b"%PDF-1.4 complaint")
    assert PersonalDataAccess.objects.filter(
        viewer=auditor, subject=evidence.finding.collector, fields=["finding_evidence"]
    ).exists()
    assert fetch(unsigned(url)).status == 403


def test_in_stream_mode_evidence_comes_through_the_app(object_storage, client, auditor, evidence):
    signed_in(client, auditor)
    with override_settings(PRIVATE_FILES_DELIVERY="stream"):
        response = client.get(reverse("compliance_evidence", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 complaint"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["collector", "manager", "trainer"])
def test_others_get_no_evidence_url(request, object_storage, client, role, evidence):
    signed_in(client, request.getfixturevalue(role))
    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))
    assert response.status_code in (302, 403)
    assert "X-Amz" not in response.get("Location", "")
