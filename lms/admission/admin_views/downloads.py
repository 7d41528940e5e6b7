"""Licence and evidence downloads for platform staff (inside the admin, so admin access and
two-factor sign-in are checked first, then ``admission.view_application``).

Files come from private storage, served as the type detected on upload: PDF and raster images
open in the browser, anything else is an attachment, never cached, never sniffed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from ..downloads import serve
from ..models import Answer, LicenceDocument

VIEW_PERMISSION = "admission.view_application"


def download_licence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A licence of an application, to users who may view applications."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    licence = get_object_or_404(LicenceDocument, pk=pk)
    return serve(licence.file, licence.content_type, licence.original_name)


def download_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The evidence attached to an answer (by the answer's pk), to the same users."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    answer = get_object_or_404(Answer, pk=pk)
    return serve(answer.evidence, answer.evidence_content_type, answer.evidence_name)
