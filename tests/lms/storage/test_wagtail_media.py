"""Wagtail images and documents in the media bucket: uploads land there, renditions are made
from and saved to it, and a document in a private collection reaches only those Wagtail lets
through, as a short-lived signed URL."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction

from tests import upload_samples as samples
from tests.conftest import signed_in

from .conftest import fetch, unsigned

pytestmark = pytest.mark.django_db


def test_an_uploaded_image_lands_in_the_media_bucket_and_its_rendition_is_served(
    object_storage, client, trainer
):
    signed_in(client, trainer)
    png = samples.image("PNG")
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "图",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile("chart.png", png, "image/png"),
        },
    )
    assert response.status_code == 302
    image = get_image_model().objects.get()
    assert object_storage.keys(object_storage.media_bucket) == [image.file.name]
    assert object_storage.keys(object_storage.private_bucket) == []

    rendition = image.get_rendition("fill-20x20")  # reads the original from the bucket
    assert rendition.file.name in object_storage.keys(object_storage.media_bucket)
    fetched = fetch(rendition.url)
    assert fetched.status == 200
    assert fetched.body.startswith(b"\x89PNG")
    # The bucket is private: only the signed URL works.
    assert fetch(unsigned(rendition.url)).status == 403


@pytest.fixture
def private_document(object_storage):
    root = Collection.get_first_root_node()
    collection = root.add_child(name="内部资料")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    document = get_document_model()(title="内部讲义", collection=collection)
    document.file.save("handout.pdf", ContentFile(samples.PDF), save=False)
    document.save()
    assert object_storage.keys(object_storage.media_bucket) == [document.file.name]
    return document


def test_a_private_collection_document_is_refused_to_anonymous_visitors(client, private_document):
    url = private_document.url
    assert url.startswith("/documents/")  # Wagtail's serve view, never the bucket
    response = client.get(url)
    assert response.status_code == 302
    assert "X-Amz" not in response["Location"]
    assert "login" in response["Location"]


def test_a_signed_in_user_is_redirected_to_a_short_lived_signed_url(
    client, collector, private_document
):
    client.force_login(collector)
    response = client.get(private_document.url)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    assert "X-Amz-Expires=60&" in url  # PRIVATE_URL_EXPIRY, not the media bucket's hour
    fetched = fetch(url)
    assert (fetched.status, fetched.body) == (200, samples.PDF)
    assert fetched.headers["content-disposition"].startswith("inline")  # Wagtail: PDF inline
    assert fetch(unsigned(url)).status == 403
