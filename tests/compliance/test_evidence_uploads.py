"""Audit evidence is accepted by content, stored with the detected type, and served as that type.

Only auditors (and superusers) upload evidence, in the findings admin; collectors and managers
appeal in words only (``appeal_views`` has no file field). So the hostile files are posted by
the auditor persona, through the same add form.
"""

from __future__ import annotations

import importlib
from pathlib import PurePosixPath

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset

from lms import uploads
from lms.compliance.models import Finding, FindingEvidence
from tests import upload_samples as samples
from tests.compliance.factories import make_finding
from tests.compliance.test_findings import finding_form
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client, auditor):
    auditor.preferred_language = "en"
    auditor.save(update_fields=["preferred_language"])
    return signed_in(client, auditor)


def post_evidence(client, collector, name: str, data: bytes, declared: str = ""):
    """The add form with one evidence file; the browser's declared type is whatever the
    uploader's machine says, so tests pass a misleading one where it matters."""
    form = finding_form(
        collector, evidence=inline_formset([{"file": "", "description": "证据", "id": ""}])
    )
    form["evidence-0-file"] = SimpleUploadedFile(name, data, declared or "application/pdf")
    return client.post(reverse("compliance_findings:add"), form)


def evidence_errors(response) -> str:
    assert response.status_code == 200, "the form should be shown again"
    formset = response.context["form"].formsets["evidence"]
    return " ".join(str(error) for form in formset.forms for error in form.errors.get("file", []))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.html", samples.HTML),
        ("drawing.svg", samples.SVG_WITH_SCRIPT),
        ("invoice.pdf", samples.EXE),  # a program renamed .pdf
        ("notes.txt", b"just some text"),
        ("bundle.zip", samples.zip_of({"readme.txt": b"hello"})),
        ("installer.doc", samples.ole("")),  # an OLE file that is no Office document (.msi)
    ],
)
def test_evidence_that_is_not_an_allowed_type_is_refused_with_a_clear_message(
    auditor_client, collector, name, data
):
    response = post_evidence(auditor_client, collector, name, data)
    message = evidence_errors(response)
    assert "not of an accepted type" in message or "are not accepted here" in message
    assert ".pdf" in message and ".amr" in message  # says what is accepted
    # The rest of the form is kept for another try; nothing is saved.
    assert response.context["form"]["description"].value() == "上门催收时威胁债务人家属。"
    assert not Finding.objects.exists() and not FindingEvidence.objects.exists()


def test_a_program_inside_a_docx_is_refused(auditor_client, collector):
    docx_with_exe = samples.ooxml("word/document.xml", extra={"word/media/run.exe": samples.EXE})
    message = evidence_errors(post_evidence(auditor_client, collector, "a.docx", docx_with_exe))
    assert "macros or an embedded program" in message

    # The same program under an innocent name is found by its first bytes.
    hidden = samples.ooxml("word/document.xml", extra={"word/media/image1.png": samples.EXE})
    message = evidence_errors(post_evidence(auditor_client, collector, "b.docx", hidden))
    assert "contains a program" in message

    macros = samples.ooxml("word/document.xml", extra={"word/vbaProject.bin": b"\x00" * 64})
    message = evidence_errors(post_evidence(auditor_client, collector, "c.docm", macros))
    assert "macros" in message
    assert not FindingEvidence.objects.exists()


def test_a_zip_without_an_office_main_part_is_not_a_docx(auditor_client, collector):
    fake = samples.zip_of({"[Content_Types].xml": b"<Types/>", "payload.bin.txt": b"x"})
    message = evidence_errors(post_evidence(auditor_client, collector, "report.docx", fake))
    assert "not of an accepted type" in message


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("photo.jpg", samples.image("JPEG"), "image/jpeg"),
        ("complaint.pdf", samples.PDF, "application/pdf"),
        ("call.amr", samples.AMR, "audio/amr"),
        ("call.mp3", samples.MP3, "audio/mpeg"),
        ("call.m4a", samples.M4A, "audio/mp4"),
        ("call.wav", samples.WAV, "audio/x-wav"),
        ("visit.mp4", samples.MP4, "video/mp4"),
        ("visit.mov", samples.MOV, "video/quicktime"),
        ("letter.docx", samples.DOCX, uploads.DOCX),
        ("sheet.xlsx", samples.ooxml("xl/workbook.xml"), uploads.XLSX),
        ("old.doc", samples.ole("WordDocument"), uploads.DOC),
        ("old.xls", samples.ole("Workbook"), uploads.XLS),
        ("old.ppt", samples.ole("PowerPoint Document"), uploads.PPT),
    ],
)
def test_allowed_evidence_is_stored_with_its_detected_type(
    auditor_client, collector, name, data, mime
):
    response = post_evidence(auditor_client, collector, name, data, declared="text/html")
    assert response.status_code == 302, evidence_errors(response)
    evidence = FindingEvidence.objects.get()
    assert evidence.content_type == mime
    assert evidence.file.name.endswith(name.rsplit(".", 1)[1])


def test_a_png_named_jpg_keeps_its_real_type_and_gets_a_matching_name(auditor_client, collector):
    response = post_evidence(auditor_client, collector, "wechat.jpg", samples.image("PNG"))
    assert response.status_code == 302, evidence_errors(response)
    evidence = FindingEvidence.objects.get()
    assert evidence.content_type == "image/png"
    stored = PurePosixPath(evidence.file.name)  # the storage may add a suffix to the stem
    assert (stored.stem[:6], stored.suffix) == ("wechat", ".png")


def download(client, evidence):
    response = client.get(reverse("compliance_evidence", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    return response


def test_the_download_serves_the_stored_type_inline_only_for_images_and_pdf(
    auditor_client, collector
):
    for name, data in [
        ("photo.png", samples.image("PNG")),
        ("complaint.pdf", samples.PDF),
        ("call.amr", samples.AMR),
        ("letter.docx", samples.DOCX),
    ]:
        assert post_evidence(auditor_client, collector, name, data).status_code == 302
    served = {
        evidence.file.name.rsplit(".", 1)[1]: download(auditor_client, evidence)
        for evidence in FindingEvidence.objects.all()
    }
    assert served["png"]["Content-Type"] == "image/png"
    assert served["png"]["Content-Disposition"].startswith("inline")
    assert served["pdf"]["Content-Type"] == "application/pdf"
    assert served["pdf"]["Content-Disposition"].startswith("inline")
    assert served["amr"]["Content-Type"] == "audio/amr"
    assert served["amr"]["Content-Disposition"].startswith("attachment")
    assert served["docx"]["Content-Type"] == uploads.DOCX
    assert served["docx"]["Content-Disposition"].startswith("attachment")


def test_a_file_stored_before_the_check_is_served_as_a_download_whatever_its_name(
    auditor_client, auditor, collector
):
    # Uploaded before there was an allow-list: the name says PDF, the content is a program.
    legacy = FindingEvidence.objects.create(
        finding=make_finding(collector, by=auditor),
        file=ContentFile(samples.EXE, name="invoice.pdf"),
    )
    response = download(auditor_client, legacy)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_the_migration_backfills_the_detected_type_of_existing_evidence(auditor, collector):
    finding = make_finding(collector, by=auditor)
    photo = FindingEvidence.objects.create(
        finding=finding, file=ContentFile(samples.image("JPEG"), name="scan.pdf")
    )
    program = FindingEvidence.objects.create(
        finding=finding, file=ContentFile(samples.EXE, name="invoice.pdf")
    )
    missing = FindingEvidence.objects.create(finding=finding, file="compliance/evidence/gone.pdf")

    migration = importlib.import_module("lms.compliance.migrations.0004_evidence_content_type")
    migration.detect_existing(apps, None)

    for evidence in (photo, program, missing):
        evidence.refresh_from_db()
    assert photo.content_type == "image/jpeg"  # by content, not by its name
    assert program.content_type == ""  # not on the allow-list: served as a download
    assert missing.content_type == ""
