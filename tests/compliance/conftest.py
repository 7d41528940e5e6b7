"""Fixtures shared by the compliance tests: the firm and certification programme the rating
tests certify collectors in, and the lender and manager the roster-export tests download as (a
module defining a fixture of the same name uses its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from exams.certificates.models import CertificationProgramme
from lms.accounts.models import Firm, FirmKind, User
from lms.compliance.dashboard import views
from tests.exams.certificate_factories import make_programme, use_fast_pdf
from tests.factories import FirmFactory

from .dashboard_factories import make_manager


@pytest.fixture
def programme(monkeypatch) -> CertificationProgramme:
    """A certification programme without required courses; its PDFs are rendered fast."""
    use_fast_pdf(monkeypatch)
    return make_programme(courses=0).programme


@pytest.fixture
def firm() -> Firm:
    return FirmFactory(name="阳光资产管理有限公司")


@pytest.fixture
def lender() -> Firm:
    return FirmFactory(name="诚信消费金融", kind=FirmKind.LENDER)


@pytest.fixture
def boss(lender) -> User:
    """The lender's manager."""
    return make_manager("boss@lender.example", "钱总", lender)


@pytest.fixture
def small_export_chunks(monkeypatch) -> Iterator[None]:
    """Roster exports in chunks of 4 rows (a dozen collectors make several), read in English."""
    monkeypatch.setattr(views, "EXPORT_CHUNK", 4)
    with translation.override("en"):
        yield
