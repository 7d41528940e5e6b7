"""Trainers' uploads in the Wagtail admin: documents are checked by content, images are raster.

Trainers may upload documents and images (migration-made permissions); what they upload is
served to every learner, so an HTML page or a program renamed ``.pdf`` and an SVG with script
are refused, through every upload screen Wagtail offers.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from tests import upload_samples as samples
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer_client(client, trainer):
    trainer.preferred_language = "en"
    trainer.save(update_fields=["preferred_language"])
    return signed_in(client, trainer)


def add_document(client, name: str, data: bytes):
    return client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "讲义",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile(name, data, "application/pdf"),
        },
    )


def file_errors(response) -> str:
    assert response.status_code == 200
    return " ".join(response.context["form"].errors.get("file", []))


def test_a_trainer_uploads_a_real_pdf_and_a_real_docx(trainer_client):
    for name, data in [("handout.pdf", samples.PDF), ("slides.docx", samples.DOCX)]:
        response = add_document(trainer_client, name, data)
        assert response.status_code == 302, file_errors(response)
    assert get_document_model().objects.count() == 2


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("page.pdf", samples.HTML, "not of an accepted type"),
        ("invoice.pdf", samples.EXE, "not of an accepted type"),
        ("photo.pdf", samples.image("PNG"), "are not accepted here"),
        ("handout.docx", samples.PDF, "Its name must end in .pdf"),
    ],
)
def test_documents_whose_content_is_not_what_is_allowed_are_refused(
    trainer_client, name, data, expected
):
    assert expected in file_errors(add_document(trainer_client, name, data))
    assert not get_document_model().objects.exists()


def test_the_multiple_uploader_applies_the_same_check(trainer_client):
    response = trainer_client.post(
        reverse("wagtaildocs:add_multiple"),
        {"files[]": SimpleUploadedFile("evil.pdf", samples.EXE)},
    )
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "not of an accepted type" in response.json()["error_message"]
    assert not get_document_model().objects.exists()


def test_an_svg_image_with_script_is_refused_and_a_png_is_accepted(trainer_client):
    root = Collection.get_first_root_node().pk
    response = trainer_client.post(
        reverse("wagtailimages:add"),
        {
            "title": "图",
            "collection": root,
            "file": SimpleUploadedFile("chart.svg", samples.SVG_WITH_SCRIPT, "image/svg+xml"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    response = trainer_client.post(
        reverse("wagtailimages:add_multiple"),
        {"files[]": SimpleUploadedFile("chart.svg", samples.SVG_WITH_SCRIPT, "image/svg+xml")},
    )
    assert response.json()["success"] is False
    assert not get_image_model().objects.exists()

    response = trainer_client.post(
        reverse("wagtailimages:add"),
        {"title": "图", "collection": root, "file": SimpleUploadedFile("a.png", samples.image())},
    )
    assert response.status_code == 302
    assert get_image_model().objects.count() == 1
