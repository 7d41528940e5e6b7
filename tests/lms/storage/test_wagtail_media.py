"""Wagtail images and documents in the media bucket: uploads land there, renditions are made
from and saved to it, and a document in a private collection reaches only those Wagtail lets
through, as a short-lived signed URL."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction

from lms import storage as lms_storage
from lms.settings.storage import storages
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


def test_a_signed_in_user_is_redirected_to_a_signed_url_lasting_the_media_expiry(
    client, collector, private_document
):
    client.force_login(collector)
    with override_settings(MEDIA_URL_EXPIRY=5400):
        response = client.get(private_document.url)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    # MEDIA_URL_EXPIRY, not PRIVATE_URL_EXPIRY's 60 s: a video seeks for the whole lesson.
    assert "X-Amz-Expires=5400&" in url
    fetched = fetch(url)
    assert (fetched.status, fetched.body) == (200, samples.PDF)
    assert fetched.headers["content-disposition"].startswith("inline")  # Wagtail: PDF inline
    assert fetch(unsigned(url)).status == 403


@pytest.fixture
def behind_a_cdn(object_storage, monkeypatch):
    """The same buckets with OBJECT_STORAGE_MEDIA_DOMAIN set: the media storage builds plain,
    unsigned CDN URLs (right for images on public pages)."""
    monkeypatch.setenv("OBJECT_STORAGE_MEDIA_DOMAIN", "cdn.academy.example")
    configured = storages(
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_MEDIA_ROOT,
        static_backend=settings.STORAGES["staticfiles"]["BACKEND"],
    )
    assert configured["default"]["OPTIONS"]["custom_domain"] == "cdn.academy.example"
    with override_settings(STORAGES=configured):
        yield object_storage


def test_behind_a_cdn_a_private_document_is_still_handed_out_signed_through_the_bucket(
    behind_a_cdn, client, collector, private_document
):
    document = get_document_model().objects.get(pk=private_document.pk)
    # What the CDN setting gives pages: no signature, no expiry.
    assert document.file.url == f"https://cdn.academy.example/{document.file.name}"
    client.force_login(collector)
    response = client.get(document.url)
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(behind_a_cdn.server.endpoint_url)
    assert "cdn.academy.example" not in url
    assert "X-Amz-Signature=" in url and f"X-Amz-Expires={settings.MEDIA_URL_EXPIRY}&" in url
    fetched = fetch(url)
    assert (fetched.status, fetched.body) == (200, samples.PDF)
    assert fetch(unsigned(url)).status == 403
    # Anonymous visitors still get Wagtail's sign-in page, not a URL.
    client.logout()
    anonymous = client.get(document.url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_a_url_that_comes_back_unsigned_is_never_handed_out_the_file_is_streamed(
    behind_a_cdn, client, collector, private_document, monkeypatch
):
    # As if signing were impossible: the storage's own (CDN, unsigned) URL comes back.
    monkeypatch.setattr(lms_storage, "_signing_storage", lambda storage: storage)
    client.force_login(collector)
    response = client.get(get_document_model().objects.get(pk=private_document.pk).url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.PDF
