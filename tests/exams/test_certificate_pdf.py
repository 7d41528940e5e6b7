"""The certificate PDF (issue 5): what it says, its fonts, its QR code, its page and PDF/A.

Each PDF is rendered once per module and read back with pypdf, as a reader of the file would.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from exams.certificates.pdf import (
    CertificateDocument,
    certificate_html,
    format_percent,
    layout_certificate,
    qr_code_data_uri,
    render_certificate_pdf,
)
from lms.lib.fonts import FAMILY, SHIPPED_FONTS, gb2312_codepoints
from tests.conftest import require_service

URL = "https://academy.example.cn/certificates/verify/SSA-2026-000123-K/"
CHINESE = CertificateDocument(
    holder_name="张伟明",
    programme_name="阳光催收合规上岗认证",
    score_percent=Decimal("92.50"),
    issued_on=date(2026, 5, 1),
    expires_on=date(2028, 4, 30),
    serial="SSA-2026-000123-K",
    verification_url=URL,
)
# 龘 (U+9F98) is outside GB 2312 and 𠀾 (U+2003E) outside the BMP: neither is in the subset.
RARE_NAME = "王龘𠀾"


def read(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def text_of(reader: PdfReader) -> str:
    """The page's text with whitespace removed (letter spacing may read as spaces)."""
    return "".join(reader.pages[0].extract_text().split())


def fonts_of(resources: DictionaryObject) -> list[DictionaryObject]:
    """Every font in a resource dictionary and in the form XObjects it draws (the seal)."""
    found = [font.get_object() for font in resources.get("/Font", {}).values()]
    for xobject in resources.get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            found += fonts_of(xobject["/Resources"].get_object())
    return found


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """BaseFont name -> whether its descriptor carries a font file."""
    result = {}
    for font in fonts_of(reader.pages[0]["/Resources"].get_object()):
        descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
        for described in descendants:
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            result[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return result


def system_font_installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    listing = subprocess.run(
        ["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=False
    )
    return bool(listing.stdout.strip())


@pytest.fixture(scope="module")
def chinese() -> PdfReader:
    return read(render_certificate_pdf(CHINESE))


def test_it_shows_the_name_programme_serial_dates_and_score(chinese: PdfReader) -> None:
    text = text_of(chinese)
    for expected in (
        "张伟明",
        "阳光催收合规上岗认证",
        "SSA-2026-000123-K",
        "2026年5月1日",
        "2028年4月30日",
        "92.5%",
    ):
        assert expected in text


def test_it_is_one_a4_landscape_page(chinese: PdfReader) -> None:
    assert len(chinese.pages) == 1
    box = chinese.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=0.5)
    assert float(box.height) == pytest.approx(595.28, abs=0.5)


def test_it_embeds_the_shipped_cjk_font_and_only_embedded_fonts(chinese: PdfReader) -> None:
    fonts = embedded_fonts(chinese)
    postscript_family = FAMILY.replace(" ", "-")
    assert any(postscript_family in name for name in fonts), fonts
    assert all(fonts.values()), f"fonts not embedded: {[n for n, e in fonts.items() if not e]}"


def test_it_is_pdf_a_3b(chinese: PdfReader) -> None:
    description = chinese.xmp_metadata.rdf_root.getElementsByTagNameNS(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "Description"
    )
    pdfaid = "http://www.aiim.org/pdfa/ns/id/"
    parts = {d.getAttributeNS(pdfaid, "part") for d in description} - {""}
    conformance = {d.getAttributeNS(pdfaid, "conformance") for d in description} - {""}
    assert (parts, conformance) == ({"3"}, {"B"})
    intents = chinese.trailer["/Root"]["/OutputIntents"]
    assert [intent.get_object()["/S"] for intent in intents] == ["/GTS_PDFA1"]


def test_its_qr_code_decodes_to_the_verification_url(chinese: PdfReader) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a dev dependency) decodes")
    decoded = [
        barcode.text
        for image in chinese.pages[0].images
        for barcode in zxingcpp.read_barcodes(image.image)
        if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert decoded == [URL]


def test_the_html_embeds_the_qr_code_of_the_verification_url() -> None:
    html = certificate_html(CHINESE)
    assert qr_code_data_uri(URL) in html
    assert qr_code_data_uri(URL) != qr_code_data_uri(URL + "x")


def test_a_name_outside_the_shipped_font_falls_back_to_the_system_font() -> None:
    if not system_font_installed("Noto Serif CJK SC"):
        require_service(
            "fonts-noto-cjk", "Noto Serif CJK SC is not installed (Debian package fonts-noto-cjk)"
        )
    from fontTools.ttLib import TTFont

    shipped = TTFont(SHIPPED_FONTS[1].path).getBestCmap()  # the name is set in bold
    assert [char for char in RARE_NAME if ord(char) in shipped] == ["王"]

    reader = read(render_certificate_pdf(replace(CHINESE, holder_name=RARE_NAME)))

    assert RARE_NAME in text_of(reader)
    fonts = embedded_fonts(reader)
    assert any("Noto" in name for name in fonts), fonts
    assert all(fonts.values()), f"fonts not embedded: {[n for n, e in fonts.items() if not e]}"


def test_an_english_certificate_has_english_labels_and_dates() -> None:
    document = replace(CHINESE, holder_name="Zhang Weiming", programme_name="Lawful Collection")
    text = read(render_certificate_pdf(document, language="en")).pages[0].extract_text()
    assert "Certificate of Compliance Training" in text
    assert text.count("This is to certify that") == 1  # no English second line in English
    assert "May 1, 2026" in text
    assert "Zhang Weiming" in text


# The labels as a Chinese catalogue might translate them: with their English second lines,
# the tallest the certificate's text gets, whatever the catalogue holds today.
CHINESE_LABELS = {
    "issuer": "阳光学堂",
    "title": "合规培训证书",
    "certify": "兹证明",
    "completed": "已完成以下项目的培训并通过考核",
    "score": "考核成绩",
    "issued_on": "发证日期",
    "expires_on": "有效期至",
    "serial": "证书编号",
    "verify": "扫码验证证书真伪",
}


@pytest.fixture
def bilingual_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    from exams.certificates import pdf

    assert set(CHINESE_LABELS) == set(pdf.LABELS)
    labels = {key: pdf.Label(text, str(pdf.LABELS[key])) for key, text in CHINESE_LABELS.items()}
    monkeypatch.setattr(pdf, "_labels", lambda language: labels)


def box_of(page, tag: str, css_class: str = ""):
    """The first layout box of an element, on a WeasyPrint page."""
    for box in page._page_box.descendants(placeholders=True):
        element = getattr(box, "element", None)
        if (
            element is not None
            and element.tag == tag
            and css_class in element.get("class", "").split() + [""]
        ):
            return box
    raise LookupError(f"no <{tag} class={css_class!r}> box")


@pytest.mark.usefixtures("bilingual_labels")
def test_the_longest_name_and_programme_stay_on_one_page_clear_of_the_footer() -> None:
    # As long as the certificate's fields allow: 150 and 120 characters.
    document = replace(
        CHINESE,
        holder_name=("欧阳娜娜买买提·艾力阿依古丽" * 11)[:150],
        programme_name=("阳光催收合规上岗认证：银行业监管规则与个人信息保护法专题" * 5)[:120],
    )
    layout = layout_certificate(document)

    assert len(layout.pages) == 1
    page = layout.pages[0]
    facts = box_of(page, "table", "facts")
    assert facts.position_y + facts.margin_height() < box_of(page, "footer").position_y
    assert len(read(layout.write_pdf()).pages) == 1


def test_it_escapes_the_holder_name_in_the_html() -> None:
    html = certificate_html(replace(CHINESE, holder_name="<b>王</b>"))
    assert "<b>王</b>" not in html
    assert "&lt;b&gt;王&lt;/b&gt;" in html


def test_html_is_marked_with_the_certificate_language() -> None:
    assert '<html lang="zh-hans">' in certificate_html(CHINESE)
    assert '<html lang="en">' in certificate_html(CHINESE, language="en")


def test_it_refuses_a_language_the_site_does_not_offer() -> None:
    with pytest.raises(ValueError, match="unsupported certificate language"):
        render_certificate_pdf(CHINESE, language="fr")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("92.50"), "92.5%"),
        (Decimal("100.00"), "100%"),
        (Decimal("80"), "80%"),
        (Decimal("87.33"), "87.33%"),
        (Decimal("66.666"), "66.67%"),
        (Decimal("0.00"), "0%"),
    ],
)
def test_scores_are_shown_as_percentages(value: Decimal, expected: str) -> None:
    assert format_percent(value) == expected


def test_the_shipped_fonts_cover_gb2312_under_their_own_name() -> None:
    from fontTools.ttLib import TTFont

    for font in SHIPPED_FONTS:
        ttfont = TTFont(font.path)
        assert gb2312_codepoints() <= set(ttfont.getBestCmap())
        names = {record.nameID: record.toUnicode() for record in ttfont["name"].names}
        assert names[1] == FAMILY
        assert all("Noto" not in names[name_id] for name_id in (1, 4, 6))
        assert "Open Font License" in names[13]
        assert font.path.stat().st_size < 2_000_000
    assert (SHIPPED_FONTS[0].path.parent / "OFL.txt").read_text().count("OPEN FONT LICENSE") == 1
