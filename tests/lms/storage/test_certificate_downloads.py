"""Certificate PDFs in the private bucket: issued there, handed out only as short-lived signed
URLs after the view's own check, and refused by the object store when unsigned, expired or
tampered with."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from storages.backends.s3 import S3File

from content.models import RegistrationState
from content.signals import session_closed
from exams.certificates.models import AttendanceCertificate, Certificate
from tests.compliance.dashboard_factories import make_collector
from tests.conftest import signed_in
from tests.content.attendance_builders import register
from tests.exams.certificate_factories import (
    FAKE_PDF,
    issue_certificate,
    make_programme,
    use_fast_pdf,
)
from tests.factories import FirmFactory, make_session

from .conftest import fetch, tampered, unsigned

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(db):
    return make_programme()


@pytest.fixture
def certificate(object_storage, monkeypatch, collector, programme) -> Certificate:
    use_fast_pdf(monkeypatch)
    return issue_certificate(collector, programme.programme)


def download(client, certificate: Certificate):
    return client.get(reverse("certificates:pdf", args=[certificate.pk]))


def test_an_issued_certificate_is_rendered_into_the_private_bucket_and_emailed_from_it(
    object_storage, collector, programme, django_capture_on_commit_callbacks
):
    # The real renderer (WeasyPrint) and the real issuance path, email included.
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_certificate(collector, programme.programme)
    key = certificate.pdf.name
    assert key.startswith("certificates/") and key.endswith(".pdf")
    assert object_storage.keys(object_storage.private_bucket) == [key]
    assert object_storage.keys(object_storage.media_bucket) == []
    stored = object_storage.body(object_storage.private_bucket, key)
    assert stored.startswith(b"%PDF")
    attachments = [a for message in mail.outbox for a in message.attachments]
    assert [(name, content) for name, content, _ in attachments] == [
        (f"{certificate.serial}.pdf", stored)
    ]


def test_the_holder_is_redirected_to_a_signed_url_that_serves_the_pdf(
    client, collector, certificate
):
    client.force_login(collector)
    response = download(client, certificate)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    url = response["Location"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60&" in url
    fetched = fetch(url)
    assert fetched.status == 200
    assert fetched.body == FAKE_PDF
    assert fetched.headers["content-type"] == "application/pdf"
    assert "no-store" in fetched.headers["cache-control"]
    assert fetched.headers["content-disposition"] == (
        f'attachment; filename="{certificate.serial}.pdf"'
    )


def test_the_object_store_refuses_the_url_unsigned_or_tampered_with(client, collector, certificate):
    client.force_login(collector)
    url = download(client, certificate)["Location"]
    assert fetch(unsigned(url)).status == 403
    refused = fetch(tampered(url))
    assert refused.status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in refused.body
    # Asking for another file name (or type) is tampering too: the overrides are signed.
    renamed = url.replace(certificate.serial, "someone-else")
    assert renamed != url
    assert b"SignatureDoesNotMatch" in fetch(renamed).body
    assert fetch(url).status == 200  # the genuine one still works


def test_the_object_store_refuses_the_url_once_it_has_expired(client, collector, certificate):
    client.force_login(collector)
    with override_settings(PRIVATE_URL_EXPIRY=1):
        url = download(client, certificate)["Location"]
    assert "X-Amz-Expires=1&" in url
    time.sleep(2.1)
    refused = fetch(url)
    assert refused.status == 403
    assert b"Request has expired" in refused.body


@pytest.mark.parametrize("who", ["other_collector", "manager"])
def test_anyone_else_gets_no_url_at_all(request, client, certificate, who):
    signed_in(client, request.getfixturevalue(who))
    response = download(client, certificate)
    assert response.status_code == 404
    assert "Location" not in response
    assert b"X-Amz-Signature" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in_not_to_the_bucket(client, certificate):
    response = download(client, certificate)
    assert response.status_code == 302
    assert "X-Amz" not in response["Location"] and "login" in response["Location"]


def test_in_stream_mode_the_app_streams_the_pdf_from_the_bucket(
    client, collector, certificate, monkeypatch
):
    # Read from the GET's body as it is sent, never spooled whole into a temporary file first.
    def no_spooling(self):
        raise AssertionError("the object was downloaded whole before sending")

    monkeypatch.setattr(S3File, "_get_file", no_spooling)
    client.force_login(collector)
    with override_settings(PRIVATE_FILES_DELIVERY="stream"):
        response = download(client, certificate)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(FAKE_PDF))
    assert b"".join(response.streaming_content) == FAKE_PDF
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_staff_who_may_view_certificates_are_redirected_too(client, certificate, admin_user):
    signed_in(client, admin_user)
    response = download(client, certificate)
    assert response.status_code == 302
    assert fetch(response["Location"]).body == FAKE_PDF


def test_a_certificate_of_attendance_is_issued_into_the_bucket_and_redirected_to(
    object_storage, client, other_collector, django_capture_on_commit_callbacks
):
    # The real path: closing the session issues the certificates (WeasyPrint) after commit.
    session = make_session(hours=3, venue="国际会议中心 5 楼")
    session.page.attendance_certificates = True
    session.page.save()
    firm = FirmFactory()
    holder = make_collector(firm, "欧阳小明")
    register(session, holder, firm, RegistrationState.ATTENDED, hours="3")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        session.closed_at = timezone.now()
        session.save(update_fields=["closed_at"])
        session_closed.send(sender=type(session), session=session, actor=None)
    certificate = AttendanceCertificate.objects.get(holder=holder)
    assert object_storage.keys(object_storage.private_bucket) == [certificate.pdf.name]

    url = reverse("certificates:attendance_pdf", args=[certificate.pk])
    client.force_login(holder)
    response = client.get(url)
    assert response.status_code == 302
    fetched = fetch(response["Location"])
    assert fetched.status == 200 and fetched.body.startswith(b"%PDF")
    assert certificate.serial in fetched.headers["content-disposition"]
    client.force_login(other_collector)
    assert client.get(url).status_code == 404


def test_in_stream_mode_a_file_missing_from_the_bucket_is_a_404(
    client, collector, certificate, object_storage
):
    object_storage.client.delete_object(
        Bucket=object_storage.private_bucket, Key=certificate.pdf.name
    )
    client.force_login(collector)
    with override_settings(PRIVATE_FILES_DELIVERY="stream"):
        assert download(client, certificate).status_code == 404
