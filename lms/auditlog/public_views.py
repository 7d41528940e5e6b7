"""The public list of signed checkpoints: ``/audit/checkpoints.json``.

No login, GET only, readable from any origin, cacheable: regulators, firms and anyone else
fetch it and keep copies, so that a later rewrite of the history would disagree with what they
hold (``manage.py verify_audit_log --checkpoints COPY`` checks a copy; the export bundle's
verifier checks those in a bundle). The address is stable: it is printed in the README and
in every export bundle.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import condition, require_safe

from .checkpoints import published
from .models import Checkpoint
from .verification import trusted_keys

MAX_AGE = 300  # seconds; checkpoints are hourly


def _etag(request: HttpRequest) -> str:
    """Changes when a checkpoint is added or the published keys change (one small query)."""
    state = Checkpoint.objects.aggregate(count=Count("id"), last=Max("id"))
    text = f"{state['count']}:{state['last']}:{','.join(trusted_keys())}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@require_safe
@condition(etag_func=_etag)
def checkpoints_json(request: HttpRequest) -> HttpResponse:
    """Every checkpoint, oldest first, and the public keys that sign them."""
    body = json.dumps(published(), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json", charset="utf-8")
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
