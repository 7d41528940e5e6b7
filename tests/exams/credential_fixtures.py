"""Certificates for the credential tests, made through the issuance service.

A passing attempt and its issuance request are written directly (grading is tested elsewhere);
the certificate itself comes from ``issuance.issue``, as the Celery task makes it. Its PDF is
replaced by a stub here — the PDF has its own tests — except where a test asks for the real one.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from exams.certificates import issuance
from exams.certificates.models import Certificate, CertificationProgramme, IssuanceRequest
from exams.models import Attempt, AttemptStatus
from tests.exams.factories import fill_bank, make_bank, make_exam

_numbers = itertools.count(1)


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr(issuance, "render", lambda certificate: b"%PDF-1.7 test certificate")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_programme(**fields) -> CertificationProgramme:
    number = next(_numbers)
    bank = make_bank()
    fill_bank(bank, 2)
    exam = make_exam([{"bank": bank, "count": 2}], pass_mark_percent=80)
    fields.setdefault("name", f"合规催收从业资格{number}")
    fields.setdefault("code", f"compliant-collection-{number}")
    fields.setdefault("description", "持证上岗：合法、透明的阳光催收。")
    return CertificationProgramme.objects.create(final_exam=exam, **fields)


def issue_certificate(
    holder, programme: CertificationProgramme, percent: str = "87.50"
) -> Certificate:
    """A passing attempt at the programme's exam, its issuance request, and the certificate."""
    now = timezone.now()
    attempt = Attempt.objects.create(
        user=holder,
        exam=programme.final_exam,
        number=Attempt.objects.filter(user=holder, exam=programme.final_exam).count() + 1,
        seed=1,
        status=AttemptStatus.SUBMITTED,
        started_at=now - timezone.timedelta(minutes=30),
        deadline=now + timezone.timedelta(minutes=15),
        submitted_at=now,
        percent=Decimal(percent),
        passed=True,
    )
    request = IssuanceRequest.objects.create(holder=holder, programme=programme, attempt=attempt)
    certificate = issuance.issue(request.pk)
    assert certificate is not None
    return certificate


def fetcher(client):
    """Resolve the site's absolute URLs through the test client; refuse any other host."""
    base = urlsplit(settings.SITE_BASE_URL)

    def fetch(url: str) -> dict:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == (base.scheme, base.netloc), url
        response = client.get(parts.path)
        assert response.status_code == 200, (url, response.status_code)
        return json.loads(response.content)

    return fetch
