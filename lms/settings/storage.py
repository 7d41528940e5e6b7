"""Where files are kept: local folders by default, S3-compatible object storage when configured.

Why one function for every settings module: media and private files must live in storage that
every app node and every Celery worker share once the site runs on more than one machine
(README, "Production topology"), and the three settings modules must not drift apart on how
that is configured. With no ``OBJECT_STORAGE_*`` variable set, nothing changes for a newcomer:
files stay in local folders.

Two buckets, both private (no public ACL, no listing):

- ``OBJECT_STORAGE_MEDIA_BUCKET`` — Wagtail images and documents, slides: pages link to them
  through signed URLs valid for ``OBJECT_STORAGE_MEDIA_URL_EXPIRY`` seconds (default an hour),
  or through ``OBJECT_STORAGE_MEDIA_DOMAIN`` (a CDN in front of the bucket) when set.
- ``OBJECT_STORAGE_PRIVATE_BUCKET`` — certificate PDFs, audit evidence, licences: only views
  that checked who is asking hand them out, as a redirect to a URL signed for
  ``PRIVATE_URL_EXPIRY`` seconds (default 60) or streamed (``PRIVATE_FILES_DELIVERY``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .env import env_int, env_secret, env_str

S3_BACKEND = "storages.backends.s3.S3Storage"
DELIVERY_CHOICES = ("redirect", "stream")


def private_files_delivery() -> str:
    """``redirect`` (to a short-lived signed URL; the default) or ``stream`` (through the app)."""
    value = (env_str("PRIVATE_FILES_DELIVERY") or "redirect").lower()
    if value not in DELIVERY_CHOICES:
        raise ImproperlyConfigured(
            f"PRIVATE_FILES_DELIVERY must be one of {', '.join(DELIVERY_CHOICES)}, not {value!r}"
        )
    return value


def object_storage_options() -> dict[str, Any] | None:
    """The S3 connection options shared by both buckets, or None when not configured."""
    media_bucket = env_str("OBJECT_STORAGE_MEDIA_BUCKET")
    private_bucket = env_str("OBJECT_STORAGE_PRIVATE_BUCKET")
    if not media_bucket and not private_bucket:
        return None
    if not (media_bucket and private_bucket):
        raise ImproperlyConfigured(
            "Set both OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET, or neither"
        )
    if media_bucket == private_bucket:
        raise ImproperlyConfigured(
            "OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET must differ"
        )
    options: dict[str, Any] = {
        "endpoint_url": env_str("OBJECT_STORAGE_ENDPOINT_URL"),
        "region_name": env_str("OBJECT_STORAGE_REGION", "us-east-1"),
        "access_key": env_str("OBJECT_STORAGE_ACCESS_KEY_ID"),
        "secret_key": env_secret("OBJECT_STORAGE_SECRET_ACCESS_KEY"),
        "addressing_style": env_str("OBJECT_STORAGE_ADDRESSING_STYLE", "path"),
        "signature_version": "s3v4",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
    }
    return {"media_bucket": media_bucket, "private_bucket": private_bucket, **options}


def storages(*, media_root: Path, private_root: Path, static_backend: str) -> dict[str, Any]:
    """Django's STORAGES for these folders, or for the configured object storage."""
    static = {"BACKEND": static_backend}
    s3 = object_storage_options()
    if s3 is None:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            # Certificate PDFs and audit evidence: never served by the web server, only
            # through views that check who is asking (see lms/storage.py).
            "private": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": private_root, "base_url": "/private-media-is-not-served/"},
            },
            "staticfiles": static,
        }
    media_bucket = s3.pop("media_bucket")
    private_bucket = s3.pop("private_bucket")
    media_domain = env_str("OBJECT_STORAGE_MEDIA_DOMAIN")
    media = {
        **s3,
        "bucket_name": media_bucket,
        "querystring_expire": env_int("OBJECT_STORAGE_MEDIA_URL_EXPIRY", 3600),
    }
    if media_domain:
        media |= {"custom_domain": media_domain, "querystring_auth": False}
    return {
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": media},
        "private": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {
                **s3,
                "bucket_name": private_bucket,
                "querystring_expire": env_int("PRIVATE_URL_EXPIRY", 60),
            },
        },
        "staticfiles": static,
    }
