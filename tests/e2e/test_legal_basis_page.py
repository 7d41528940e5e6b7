"""Someone scans a certificate's QR code on a phone and reads what law it covers (issue 13).

The certificate's legal basis holds the 2012 治安管理处罚法 第四十二条, superseded by 第五十条 of
the 2025 revision, and two criminal-law articles with long labels (第二百九十三条之一): at 360 px
the section "涵盖法规版本" must fit, mark the superseded version in words, and lead to its
successor in the regulation library — with no Content-Security-Policy violation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from content.models import Regulation
from exams.certificates import basis
from tests.conftest import make_user
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf

from .conftest import CSPViolations, assert_fits_the_viewport

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_stranger_reads_the_legal_basis_on_a_phone(
    live_server,
    monkeypatch,
    phone_page: Page,
    csp_violations: CSPViolations,
    screenshot: Callable[[Page, str], Path],
) -> None:
    use_fast_pdf(monkeypatch)
    call_command("load_regulations", verbosity=0)
    old = Regulation.objects.get(
        short_name="治安管理处罚法", article_no="42", superseded_by__isnull=False
    )
    criminal = Regulation.objects.filter(short_name="刑法", article_no__in=["293", "293-1"])
    holder = make_user("basis.phone@example.com", "欧阳小明")
    certificate = issue_certificate(holder, make_programme().programme)
    basis.record_regulations(certificate, [old.pk, *criminal.values_list("pk", flat=True)])
    page = phone_page

    page.goto(live_server.url + certificate.verification_url)

    section = page.locator("[data-legal-basis]")
    expect(section.locator("h2")).to_have_text("涵盖法规版本")
    expect(section.locator(".legal-basis__statute")).to_have_text(["刑法", "治安管理处罚法"])
    expect(section.locator(".legal-basis__article")).to_have_count(3)
    superseded = section.locator(f'[data-regulation="{old.pk}"]')
    expect(superseded.locator(".legal-basis__flag")).to_have_text("已被新版本取代")
    expect(superseded).to_contain_text("第五十条")
    assert_fits_the_viewport(page)
    section.scroll_into_view_if_needed()
    screenshot(page, "legal-basis")

    superseded.locator(".legal-basis__superseded a").click()

    page.wait_for_url(f"**/regulations/{old.superseded_by_id}/")
    expect(page.locator("body")).to_contain_text("第五十条")
    assert_fits_the_viewport(page)
    screenshot(page, "successor")
