"""Licence and evidence downloads for platform staff (inside the admin, so admin access and
two-factor sign-in are checked first, then ``admission.view_application``).

Files come from private storage, served as the type detected on upload: PDF and raster images
open in the browser, anything else is an attachment, never cached, never sniffed.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from lms import uploads

from ..models import Answer, LicenceDocument

VIEW_PERMISSION = "admission.view_application"


def _serve(field: FieldFile, content_type: str, name: str) -> FileResponse:
    if not field:
        raise Http404("No file.")
    try:
        handle = field.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file is missing from storage.") from error
    kind = uploads.kind_of(content_type)
    response = FileResponse(
        handle,
        as_attachment=not (kind and kind.inline),
        filename=name or PurePosixPath(field.name or "file").name,
        content_type=kind.mime if kind else uploads.OCTET_STREAM,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_licence(request: HttpRequest, pk: int) -> FileResponse:
    """A licence of an application, to users who may view applications."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    licence = get_object_or_404(LicenceDocument, pk=pk)
    return _serve(licence.file, licence.content_type, licence.original_name)


def download_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """The evidence attached to an answer (by the answer's pk), to the same users."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    answer = get_object_or_404(Answer, pk=pk)
    return _serve(answer.evidence, answer.evidence_content_type, answer.evidence_name)
