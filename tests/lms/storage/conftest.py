"""A real S3-compatible server for the object-store tests, and the site switched onto it.

The server (``bench.s3server``: moto's S3 behind a gate that checks presigned URLs as S3 does)
runs once per session in a child process; each test gets two fresh buckets and the settings
``lms/settings/storage.py`` builds from the ``OBJECT_STORAGE_*`` variables pointing at them, so
what is tested is the configuration a deployment gets. Pure Python: it runs wherever the suite
does (SQLite and PostgreSQL legs alike).
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from botocore.config import Config
from django.conf import settings
from django.test import override_settings

from bench.s3server import S3Server, running
from lms.settings.storage import storages


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running() as server:
        yield server


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def fetch(url: str) -> Fetched:
    """GET ``url`` as a browser following the redirect would: no credentials of our own."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            headers = {name.lower(): value for name, value in response.headers.items()}
            return Fetched(response.status, headers, response.read())
    except urllib.error.HTTPError as error:
        headers = {name.lower(): value for name, value in error.headers.items()}
        return Fetched(error.code, headers, error.read())


def unsigned(url: str) -> str:
    """``url`` with its query string (signature, expiry, response overrides) stripped."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def tampered(url: str) -> str:
    """``url`` with the last character of its signature changed."""
    assert "X-Amz-Signature=" in url
    return url[:-1] + ("0" if url[-1] != "0" else "1")


@dataclass
class ObjectStore:
    server: S3Server
    media_bucket: str
    private_bucket: str
    client: Any  # a boto3 S3 client: our own look at what landed where

    def keys(self, bucket: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=bucket)
        return [entry["Key"] for entry in listing.get("Contents", [])]

    def body(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def object_storage(s3_server, monkeypatch) -> Iterator[ObjectStore]:
    """The site's media and private files in two fresh buckets of the local server, delivered
    by redirect (the default) with URLs valid for 60 s."""
    suffix = uuid.uuid4().hex[:12]
    media, private = f"media-{suffix}", f"private-{suffix}"
    s3_server.create_buckets(media, private)
    for name, value in s3_server.environment(media_bucket=media, private_bucket=private).items():
        monkeypatch.setenv(name, value)
    configured = storages(
        media_root=settings.MEDIA_ROOT,
        private_root=settings.PRIVATE_MEDIA_ROOT,
        static_backend=settings.STORAGES["staticfiles"]["BACKEND"],
    )
    client = s3_server.client(Config(signature_version="s3v4"))
    with override_settings(
        STORAGES=configured, PRIVATE_FILES_DELIVERY="redirect", PRIVATE_URL_EXPIRY=60
    ):
        yield ObjectStore(s3_server, media, private, client)
