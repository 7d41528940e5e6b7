"""Serving an application's licence or evidence file, as the type detected on upload.

Raster images and PDF open in the browser; anything else is an attachment, and ``nosniff``
stops the browser from second-guessing the type. Callers check who may see the file.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.http.response import HttpResponseBase

from lms import uploads
from lms.storage import serve_private


def serve(file: FieldFile, content_type: str, name: str = "") -> HttpResponseBase:
    """``file`` as ``content_type``, under ``name`` (default: the stored file's name): a
    redirect to a signed URL or the bytes (``lms.storage.serve_private``)."""
    if not file:
        raise Http404("No file.")
    kind = uploads.kind_of(content_type)
    return serve_private(
        file,
        content_type=kind.mime if kind else uploads.OCTET_STREAM,
        filename=name or PurePosixPath(file.name or "file").name,
        as_attachment=not (kind and kind.inline),
    )
