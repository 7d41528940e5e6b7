"""Where private files live, and how a view hands one out once it has checked who is asking.

Certificate PDFs, audit evidence and admission licences go to the ``private`` storage: a folder
outside ``MEDIA_ROOT`` (which the reverse proxy serves to anyone), or a private bucket when
object storage is configured (``lms/settings/storage.py``). Nothing links to them directly.

:func:`serve_private` is the one way out, so every download behaves the same:

- object storage and ``PRIVATE_FILES_DELIVERY = "redirect"`` (the default): a 302 to a URL
  signed for ``PRIVATE_URL_EXPIRY`` seconds, carrying the file name and type as S3 response
  overrides. The file does not pass through the app (no worker held for a large download),
  the 302 is ``private, no-store`` so no cache keeps the signed URL, and ``no-referrer`` keeps
  the app's URL out of the object store's logs;
- stream mode, or local files: the file streamed through the app, as before. From object
  storage it is read from the GET's body in blocks as it is sent (:func:`_object_body`), not
  first downloaded whole into a temporary file as django-storages' ``open()`` does.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

NEVER_CACHE = "private, no-store"

logger = logging.getLogger(__name__)


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up on first use and again after STORAGES changes, as
    Django's ``default_storage`` is: a FileField evaluates its storage callable once, when the
    model class is built, so returning the storage itself would pin the one configured then."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


_private = _PrivateStorage()


def _forget_private_storage(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty  # type: ignore[assignment]  # the stubs type it as Storage


# Django's own receiver resets ``storages`` and ``default_storage`` the same way (tests).
setting_changed.connect(_forget_private_storage)


def private_storage() -> Storage:
    """The storage of private files' FileFields (a callable, so migrations name it, not the
    backend configured on the machine that made them)."""
    return cast(Storage, _private)


def is_object_storage(storage: Storage) -> bool:
    """True for django-storages' S3 backend (or a subclass): it signs URLs with response
    overrides and an expiry. Told by class name, so a process on local files never imports
    boto3 to find out; ``__class__`` resolves the lazy private storage."""
    return any(
        (klass.__module__, klass.__qualname__) == ("storages.backends.s3", "S3Storage")
        for klass in storage.__class__.__mro__
    )


def _signing_storage(storage: Storage) -> Storage:
    """``storage`` itself when its URLs are presigned; otherwise a copy that presigns.

    With ``OBJECT_STORAGE_MEDIA_DOMAIN`` the media storage builds plain CDN URLs (no
    signature, no expiry), right for images on public pages but not for a document Wagtail has
    just checked: that URL would open it to anyone, forever. The copy shares the original's
    connection and bucket; only how it builds URLs differs (the bucket's endpoint, signed)."""
    s3 = cast(Any, storage)
    if s3.querystring_auth and not s3.custom_domain:
        return storage
    signing = copy.copy(s3._wrapped if isinstance(s3, LazyObject) else s3)
    signing.custom_domain = None
    signing.querystring_auth = True
    return cast(Storage, signing)


def _is_signed(url: str) -> bool:
    query = parse_qs(urlsplit(url).query)
    return "X-Amz-Signature" in query or "Signature" in query


def signed_redirect(
    file: FieldFile, *, content_type: str, content_disposition: str, expire: int | None = None
) -> HttpResponseRedirect | None:
    """A 302 to a short-lived signed URL for ``file`` when it sits in object storage and
    private files are delivered by redirect; None otherwise (the caller streams it).

    The object store does not check that the object exists before the URL is handed out: a
    missing file is the store's 404, not ours (one round trip saved on every download).

    Never an unsigned URL: the storage's own URLs are used only when presigned (else a signing
    copy, :func:`_signing_storage`), and should a URL still come back without a signature, the
    answer is None, so the file is streamed after the caller's check rather than exposed."""
    storage = file.storage
    if settings.PRIVATE_FILES_DELIVERY != "redirect" or not is_object_storage(storage):
        return None
    if not file.name:
        raise Http404("No file.")
    url = _signing_storage(storage).url(  # type: ignore[call-arg]  # S3Storage.url takes these
        file.name,
        parameters={
            "ResponseContentDisposition": content_disposition,
            "ResponseContentType": content_type,
            "ResponseCacheControl": NEVER_CACHE,
        },
        expire=settings.PRIVATE_URL_EXPIRY if expire is None else expire,
    )
    if not _is_signed(url):
        logger.error("Refusing to redirect to an unsigned URL for %s; streaming it", file.name)
        return None
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NEVER_CACHE
    response["Referrer-Policy"] = "no-referrer"
    return response


def _object_body(file: FieldFile) -> tuple[Any, int]:
    """The object's body as a stream read in blocks, and its length; Http404 when missing."""
    # Only here: a process on local files never imports boto3.
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]
    from storages.utils import clean_name  # type: ignore[import-untyped]

    s3 = cast(Any, file.storage)
    key = s3._normalize_name(clean_name(file.name))
    try:
        answer = s3.bucket.Object(key).get()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            raise Http404("The file is missing from storage.") from error
        raise
    return answer["Body"], answer["ContentLength"]


def serve_private(
    file: FieldFile, *, content_type: str, filename: str, as_attachment: bool = True
) -> HttpResponseBase:
    """``file`` to a user the calling view has authorised: a redirect to a signed URL or the
    bytes (module docstring), as ``content_type`` under ``filename``, never cached and never
    sniffed. A missing file is a 404."""
    if not file:
        raise Http404("No file.")
    disposition = content_disposition_header(as_attachment, filename) or "inline"
    redirect = signed_redirect(file, content_type=content_type, content_disposition=disposition)
    if redirect is not None:
        return redirect
    length = None
    if is_object_storage(file.storage):
        handle, length = _object_body(file)
    else:
        try:
            handle = file.open("rb")
        except FileNotFoundError as error:
            raise Http404("The file is missing from storage.") from error
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    if length is not None:
        response["Content-Length"] = str(length)
    response["Cache-Control"] = NEVER_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response
