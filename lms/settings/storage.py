"""Where files are kept: local folders by default, S3-compatible object storage when configured.

Why one function for every settings module: media and private files must live in storage that
every app node and every Celery worker share once the site runs on more than one machine
(README, "Production topology"), and the three settings modules must not drift apart on how
that is configured. With no ``OBJECT_STORAGE_*`` variable set, nothing changes for a newcomer:
files stay in local folders.

Two buckets, both private (no public ACL, no listing):

- ``OBJECT_STORAGE_MEDIA_BUCKET`` — Wagtail images and documents, slides: pages link to them
  through signed URLs valid for ``OBJECT_STORAGE_MEDIA_URL_EXPIRY`` seconds (default an hour),
  or through ``OBJECT_STORAGE_MEDIA_DOMAIN`` (a CDN in front of the bucket) when set. Documents
  are always handed out signed, after Wagtail's check, even with a CDN (``lms/storage.py``).
- ``OBJECT_STORAGE_PRIVATE_BUCKET`` — certificate PDFs, audit evidence, licences: only views
  that checked who is asking hand them out, as a redirect to a URL signed for
  ``PRIVATE_URL_EXPIRY`` seconds (default 60) or streamed (``PRIVATE_FILES_DELIVERY``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def private_url_expiry() -> int:
    """Seconds a signed URL to a private file stays valid: long enough to follow the redirect,
    too short to be worth sharing."""
    seconds = env_int("PRIVATE_URL_EXPIRY", 60)
    if not 1 <= seconds <= 3600:
        raise ImproperlyConfigured(f"PRIVATE_URL_EXPIRY must be 1 to 3600 seconds, not {seconds}")
    return seconds


# SigV4 presigned URLs are valid for at most seven days.
MAX_SIGNED_URL_EXPIRY = 604800


def media_url_expiry() -> int:
    """Seconds a signed URL to media stays valid: image links on pages, and Wagtail documents
    (slides, handouts, lesson videos and recordings) after the serve view's check. An hour by
    default, because a browser playing a video goes on sending range requests (seek, resume) to
    the same URL for as long as the lesson lasts; a 60-second URL would break them."""
    seconds = env_int("OBJECT_STORAGE_MEDIA_URL_EXPIRY", 3600)
    if not 1 <= seconds <= MAX_SIGNED_URL_EXPIRY:
        raise ImproperlyConfigured(
            f"OBJECT_STORAGE_MEDIA_URL_EXPIRY must be 1 to {MAX_SIGNED_URL_EXPIRY} seconds "
            f"(seven days, the most a signed URL allows), not {seconds}"
        )
    return seconds


def media_origins() -> list[str]:
    """The origins pages load media from (images, audio, video), for the CSP's img-src and
    media-src: none with local files (they are same-origin), else the CDN domain or the
    bucket's origin under the endpoint (path style: the endpoint itself; virtual-hosted
    style: the bucket's subdomain; AWS when no endpoint is set)."""
    s3 = object_storage_options()
    if s3 is None:
        return []
    if domain := env_str("OBJECT_STORAGE_MEDIA_DOMAIN"):
        return [f"https://{domain}"]
    bucket, region = s3["media_bucket"], s3["region_name"]
    virtual = s3["addressing_style"] == "virtual"
    if endpoint := s3["endpoint_url"]:
        parts = urlsplit(endpoint)
        host = f"{bucket}.{parts.netloc}" if virtual else parts.netloc
        return [f"{parts.scheme}://{host}"]
    if virtual:
        return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
    return ["https://s3.amazonaws.com", f"https://s3.{region}.amazonaws.com"]


def object_storage_options() -> dict[str, Any] | None:
    """The S3 connection options shared by both buckets, or None when not configured."""
    media_bucket = env_str("OBJECT_STORAGE_MEDIA_BUCKET")
    private_bucket = env_str("OBJECT_STORAGE_PRIVATE_BUCKET")
    if not media_bucket and not private_bucket:
        stray = sorted(
            name
            for name in os.environ
            if name.startswith("OBJECT_STORAGE_") and os.environ[name].strip()
        )
        if stray:
            # Files would silently stay on local disk, which other nodes cannot see.
            raise ImproperlyConfigured(
                f"{', '.join(stray)} set but OBJECT_STORAGE_MEDIA_BUCKET and "
                "OBJECT_STORAGE_PRIVATE_BUCKET are not: set the buckets, or unset the rest"
            )
        return None
    if not (media_bucket and private_bucket):
        raise ImproperlyConfigured(
            "Set both OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET, or neither"
        )
    if media_bucket == private_bucket:
        raise ImproperlyConfigured(
            "OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET must differ"
        )
    endpoint_url = env_str("OBJECT_STORAGE_ENDPOINT_URL")
    if endpoint_url and urlsplit(endpoint_url).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"OBJECT_STORAGE_ENDPOINT_URL must be an http(s) URL, not {endpoint_url!r}"
        )
    access_key = env_secret("OBJECT_STORAGE_ACCESS_KEY_ID")
    secret_key = env_secret("OBJECT_STORAGE_SECRET_ACCESS_KEY")
    if bool(access_key) != bool(secret_key):
        # Neither: boto3 finds credentials itself (instance role, ~/.aws); one alone is a typo.
        raise ImproperlyConfigured(
            "Set both OBJECT_STORAGE_ACCESS_KEY_ID and OBJECT_STORAGE_SECRET_ACCESS_KEY "
            "(or _FILE), or neither to use the machine's own credentials"
        )
    addressing_style = env_str("OBJECT_STORAGE_ADDRESSING_STYLE", "path")
    if addressing_style not in {"path", "virtual"}:
        raise ImproperlyConfigured(
            f"OBJECT_STORAGE_ADDRESSING_STYLE must be path or virtual, not {addressing_style!r}"
        )
    options: dict[str, Any] = {
        "endpoint_url": endpoint_url,
        "region_name": env_str("OBJECT_STORAGE_REGION", "us-east-1"),
        "access_key": access_key,
        "secret_key": secret_key,
        "addressing_style": addressing_style,
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
        "querystring_expire": media_url_expiry(),
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
                "querystring_expire": private_url_expiry(),
            },
        },
        "staticfiles": static,
    }
