"""The Wagtail document form, with the content check every non-admin upload goes through.

Trainers upload course material (slides, handouts, recordings) as Wagtail documents. Wagtail
checks the extension (``WAGTAILDOCS_EXTENSIONS``) and serves a document with the type that
extension implies, so the content must agree with it: an HTML page or a program renamed
``.pdf`` is refused here, with the same allow-list and messages as audit evidence
(``lms.uploads.DOCUMENT_TYPES``). Wagtail uses this base for the single upload, the multiple
uploader, the chooser's upload tab and "replace file" alike (``WAGTAILDOCS_DOCUMENT_FORM_BASE``).

Serving: documents in object storage sit in a private bucket, and a document in a private
collection must reach only those Wagtail lets through. Links always go through Wagtail's serve
view (``WAGTAILDOCS_SERVE_METHOD = "serve_view"``), and :func:`redirect_to_signed_url`, a
``before_serve_document`` hook that runs after Wagtail's own restriction check, answers with a
redirect to a signed URL, never cached. Wagtail's own "redirect" method would hand out the
media storage's URL with no cache header — with ``OBJECT_STORAGE_MEDIA_DOMAIN`` an unsigned,
permanent CDN URL; :func:`lms.storage.signed_redirect` signs through the bucket instead.

The URL lasts ``MEDIA_URL_EXPIRY`` seconds (``OBJECT_STORAGE_MEDIA_URL_EXPIRY``, an hour by
default), not the 60 s of ``PRIVATE_URL_EXPIRY``: lesson videos and recordings play from it, and
the browser keeps sending range requests (seek, resume) to that URL long after the redirect;
PDF viewers fetch large files in ranges too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponseRedirect
from wagtail.documents import get_document_model
from wagtail.documents.forms import BaseDocumentForm
from wagtail.documents.models import AbstractDocument, document_served

from lms import uploads
from lms.storage import signed_redirect


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            try:
                uploads.check_upload(file, file.name, uploads.DOCUMENT_TYPES, name_must_match=True)
            except uploads.UploadRejected as error:
                raise ValidationError(str(error), code="content_type") from error
        return file


def redirect_to_signed_url(
    document: AbstractDocument, request: HttpRequest
) -> HttpResponseRedirect | None:
    """After Wagtail's restriction check passed: a redirect to a signed URL (module docstring) when
    the document is in object storage and private files are delivered by redirect; None (so
    Wagtail streams it) otherwise."""
    response = signed_redirect(
        document.file,
        content_type=document.content_type,
        content_disposition=document.content_disposition,
        expire=settings.MEDIA_URL_EXPIRY,
    )
    if response is not None:
        # Wagtail sends this only when its own view goes on to serve the file.
        document_served.send(sender=get_document_model(), instance=document, request=request)
    return response
