"""What the attendance journeys share (issue 15): reading the check-in screen's QR code as a
phone camera would, and a collector whose certificate's renewal needs CPD hours."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from content.attendance import checkin
from exams.certificates.models import Certificate, CertificationProgramme
from lms.accounts.models import User
from tests.exams.certificate_factories import issue_certificate, make_programme


def scan_path_in(screenshot: Path, session_id: int) -> str:
    """The path of the scan URL in the QR code of a check-in screen's screenshot.

    Decodes the image (what a phone camera reads off the projector), checks that the URL is on
    the site's public address and that its token is bound to ``session_id``, and returns the
    path to open against the live server.
    """
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a dev dependency) decodes")
    with Image.open(screenshot) as image:
        (decoded,) = zxingcpp.read_barcodes(image)
    prefix = settings.SITE_BASE_URL.rstrip("/")
    assert decoded.text.startswith(prefix + "/events/check-in/"), decoded.text
    read_session, _window = checkin.read_token(decoded.text.rstrip("/").rsplit("/", 1)[1])
    assert read_session == session_id
    return decoded.text.removeprefix(prefix)


def holding_a_programme_that_needs_hours(
    holder: User,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str,
    hours: int,
    offline: int,
) -> CertificationProgramme:
    """A programme whose renewal needs ``hours`` CPD hours a cycle (``offline`` of them
    offline), and a valid certificate of it for ``holder``: "My learning" then shows the
    cycle's progress. The certificate's PDF is not rendered (a stub stands in)."""
    from exams.certificates import issuance

    monkeypatch.setattr(issuance, "render", lambda certificate: b"%PDF-1.7\n%%EOF\n")
    programme = make_programme(name=name, courses=0).programme
    programme.cpd_hours_required = Decimal(hours)
    programme.cpd_offline_hours_required = Decimal(offline)
    programme.save()
    issue_certificate(holder, programme)
    assert Certificate.objects.filter(holder=holder, programme=programme).exists()
    return programme
