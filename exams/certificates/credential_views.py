"""Public JSON documents: the signed credential, the issuer, its keys, achievements and the
status lists (revocation and suspension).

No login, GET only, and readable from any origin: verifiers and wallets fetch these from their own
pages. A credential is served whatever its status — a revoked or expired one stays signed, and a
verifier learns its status from the status list and ``validUntil``.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from . import openbadges, signing
from . import status_list as status_lists
from .models import Certificate, CertificationProgramme
from .views import verification_rate_limit

# VC 1.1 / Open Badges 3.0 media type; a "+json" type, so generic JSON tools read it too.
CREDENTIAL_MEDIA_TYPE = "application/vc+ld+json"
JSON_LD_MEDIA_TYPE = "application/ld+json"
DOCUMENT_MAX_AGE = 3600
CREDENTIAL_MAX_AGE = 300


def json_document(
    document: dict, *, media_type: str, max_age: int, filename: str | None = None
) -> HttpResponse:
    """A public JSON document; with ``filename``, as a plain JSON download."""
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(
        body, content_type="application/json" if filename else media_type, charset="utf-8"
    )
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@verification_rate_limit
def credential(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's signed Open Badges 3.0 credential; ``?download=1`` for a file."""
    certificate = (
        Certificate.objects.select_related(
            "holder",
            "programme__final_exam",
            "programme__renewal_exam",
            "programme__refresher_course",
        )
        .filter(verification_code=code)
        .first()
    )
    if certificate is None:
        # A verifier or wallet asked for JSON: an HTML error page would only break its parser.
        return JsonResponse(
            {"error": "not_found", "detail": "No certificate has this verification code."},
            status=404,
        )
    download = request.GET.get("download") == "1"
    response = json_document(
        openbadges.signed_credential(certificate),
        media_type=CREDENTIAL_MEDIA_TYPE,
        max_age=CREDENTIAL_MAX_AGE,
        filename=f"{certificate.serial}.json" if download else None,
    )
    # The holder shares the link; search engines have no business listing it.
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def issuer(request: HttpRequest) -> HttpResponse:
    return json_document(
        openbadges.issuer_document(), media_type=JSON_LD_MEDIA_TYPE, max_age=DOCUMENT_MAX_AGE
    )


@require_safe
def key(request: HttpRequest, key_id: str) -> HttpResponse:
    """A public key that signs (or signed) credentials, as a Multikey document."""
    for public_key in signing.published_public_keys():
        if signing.key_id_for(public_key) == key_id:
            return json_document(
                openbadges.key_document(public_key),
                media_type=JSON_LD_MEDIA_TYPE,
                max_age=DOCUMENT_MAX_AGE,
            )
    raise Http404("No such key")


@require_safe
def achievement(request: HttpRequest, code: str) -> HttpResponse:
    programme = get_object_or_404(
        CertificationProgramme.objects.select_related(
            "final_exam", "renewal_exam", "refresher_course"
        ),
        code=code,
    )
    return json_document(
        openbadges.achievement_document(programme),
        media_type=JSON_LD_MEDIA_TYPE,
        max_age=DOCUMENT_MAX_AGE,
    )


def _status_list(list_number: int, purpose: str) -> HttpResponse:
    if list_number > status_lists.MAX_LIST_NUMBER:
        raise Http404("No such status list")
    return json_document(
        openbadges.signed_status_list_credential(list_number, purpose=purpose),
        media_type=CREDENTIAL_MEDIA_TYPE,
        # The same time as the list's ``ttl``: a cache keeps it exactly as long as it says.
        max_age=status_lists.TTL_SECONDS,
    )


@require_safe
def status_list(request: HttpRequest, list_number: int) -> HttpResponse:
    """Revocation list ``list_number`` as a signed BitstringStatusListCredential."""
    return _status_list(list_number, status_lists.REVOCATION)


@require_safe
def suspension_list(request: HttpRequest, list_number: int) -> HttpResponse:
    """Suspension list ``list_number`` as a signed BitstringStatusListCredential."""
    return _status_list(list_number, status_lists.SUSPENSION)
