"""Certificate PDF speed (issue 5): Chinese text costs at most 1.5 times Latin-only text.

The same template renders a certificate in Chinese (zh-hans, Chinese name and programme) and
one in English with a Latin name and programme, alternately over several rounds after a warm-up
render of each, so load from anything else on the machine hits both alike; the medians are
compared. The Chinese one is slower only by the CJK glyphs WeasyPrint subsets and embeds: the
shipped subset font (lms/lib/fontfiles/README.md) keeps that small. For reference, one render
with the system Noto Serif CJK font instead shows what the subset saves.

Prints ``BENCH certificate_pdf ...``. Run with ``make bench``; ``make test`` skips it.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from datetime import date
from decimal import Decimal

import pytest

from exams.certificates.pdf import (
    TEMPLATE_DIR,
    CertificateDocument,
    certificate_html,
    render_certificate_pdf,
)

pytestmark = [pytest.mark.bench]

ROUNDS = 15
MAX_RATIO = 1.5
URL = "https://academy.example.cn/certificates/verify/SSA-2026-000123-K/"
CHINESE = CertificateDocument(
    holder_name="欧阳明轩",
    programme_name="阳光催收合规上岗认证：治安管理处罚法与个人信息保护",
    score_percent=Decimal("92.50"),
    issued_on=date(2026, 5, 1),
    expires_on=date(2028, 4, 30),
    serial="SSA-2026-000123-K",
    verification_url=URL,
)
LATIN = CertificateDocument(
    holder_name="Ouyang Mingxuan",
    programme_name="Sunshine Collection Certification: Public Security and Personal Information",
    score_percent=Decimal("92.50"),
    issued_on=date(2026, 5, 1),
    expires_on=date(2028, 4, 30),
    serial="SSA-2026-000123-K",
    verification_url=URL,
)


def timed(document: CertificateDocument, language: str) -> tuple[float, int]:
    started = time.perf_counter()
    pdf = render_certificate_pdf(document, language=language)
    return time.perf_counter() - started, len(pdf)


def subsetter() -> str:
    """Which library WeasyPrint subsets fonts with: HarfBuzz's (fast, C) or fontTools."""
    from weasyprint.pdf.fonts import harfbuzz_subset

    return "harfbuzz" if harfbuzz_subset is not None else "fonttools"


def system_font_render_seconds() -> float | None:
    """One render of the Chinese certificate with the system Noto Serif CJK SC in place of the
    shipped subset (a fresh font configuration; None when the system font is missing)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    family = "Noto Serif CJK SC"
    if (
        shutil.which("fc-list") is None
        or not subprocess.run(
            ["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=False
        ).stdout.strip()
    ):
        return None
    font_config = FontConfiguration()
    stylesheets = [
        CSS(filename=TEMPLATE_DIR / "certificate.css", font_config=font_config),
        CSS(string=f'html {{ font-family: "{family}" }}', font_config=font_config),
    ]
    html = HTML(string=certificate_html(CHINESE), base_url=TEMPLATE_DIR.as_uri() + "/")
    started = time.perf_counter()
    html.write_pdf(stylesheets=stylesheets, font_config=font_config, pdf_variant="pdf/a-3b")
    return time.perf_counter() - started


def test_chinese_certificate_renders_nearly_as_fast_as_latin(report) -> None:
    first, _ = timed(CHINESE, "zh-hans")  # also loads the fonts: once per process
    timed(LATIN, "en")
    chinese, latin = [], []
    for _ in range(ROUNDS):
        seconds, chinese_size = timed(CHINESE, "zh-hans")
        chinese.append(seconds)
        seconds, latin_size = timed(LATIN, "en")
        latin.append(seconds)
    chinese_median, latin_median = statistics.median(chinese), statistics.median(latin)
    ratio = chinese_median / latin_median
    report(
        f"BENCH certificate_pdf chinese={chinese_median:.3f}s latin={latin_median:.3f}s "
        f"ratio={ratio:.2f} first={first:.2f}s size={chinese_size / 1000:.0f}kB/"
        f"{latin_size / 1000:.0f}kB subsetter={subsetter()} rounds={ROUNDS}"
    )
    reference = system_font_render_seconds()
    if reference is not None:
        report(
            f"BENCH certificate_pdf_system_font chinese={reference:.3f}s "
            f"(one render with the system Noto Serif CJK SC instead of the shipped subset)"
        )
    assert ratio <= MAX_RATIO, f"Chinese {chinese_median:.3f}s vs Latin {latin_median:.3f}s"
