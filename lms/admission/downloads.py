"""Serving an application's licence or evidence file, as the type detected on upload.

Raster images and PDF open in the browser; anything else is an attachment, and ``nosniff``
stops the browser from second-guessing the type. Callers check who may see the file.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from lms import uploads


def serve(file: FieldFile, content_type: str, name: str = "") -> FileResponse:
    """``file`` as ``content_type``, under ``name`` (default: the stored file's name)."""
    if not file:
        raise Http404("No file.")
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file is missing from storage.") from error
    kind = uploads.kind_of(content_type)
    response = FileResponse(
        handle,
        as_attachment=not (kind and kind.inline),
        filename=name or PurePosixPath(file.name or "file").name,
        content_type=kind.mime if kind else uploads.OCTET_STREAM,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
