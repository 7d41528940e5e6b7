"""Which certificates a change in the law reaches: those whose legal basis holds the old text.

A certificate's basis (``CertificateBasis``) records each regulation version it covers with a
digest of the text at issuance. A superseded version reaches every certificate citing that row;
a corrected text reaches only the certificates issued on the wording before the correction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db.models import QuerySet

from content.models import RegulationChange

from .models import Certificate, CertificateBasis, CertificateStatus


def text_digest(text: str) -> str:
    """SHA-256 (hex) of an article's text, as stored in ``CertificateBasis.text_digest``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def certificates_on_old_basis(
    change: RegulationChange, statuses: Iterable[str] = (CertificateStatus.VALID,)
) -> QuerySet[Certificate]:
    """Certificates in ``statuses`` whose basis includes the version (or wording) ``change``
    replaced. Valid only by default: expired, revoked and superseded ones need nothing."""
    entries = CertificateBasis.objects.filter(regulation_id=change.old_id)
    if change.kind == RegulationChange.Kind.CORRECTED:
        entries = entries.filter(text_digest=text_digest(change.old_text))
    return Certificate.objects.filter(
        status__in=list(statuses), pk__in=entries.values("certificate_id")
    )
