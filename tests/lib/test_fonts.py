"""lms.lib.fonts: the shipped subset font's files and @font-face rules (the build itself is
tested in tests/exams/test_build_certificate_fonts.py, the PDFs in their own tests)."""

from __future__ import annotations

from lms.lib.fonts import FAMILY, FONTS_DIR, SHIPPED_FONTS, certificate_codepoints, font_face_css


def test_the_shipped_font_files_are_in_the_toolkit():
    assert FONTS_DIR.parts[-3:] == ("lms", "lib", "fontfiles")
    for font in SHIPPED_FONTS:
        assert font.path.is_file(), font.path
        assert font.path.read_bytes()[:4] == b"wOF2"
    assert (FONTS_DIR / "OFL.txt").is_file()


def test_font_face_rules_name_each_weight_relative_to_the_fonts_dir():
    css = font_face_css()
    assert css.count("@font-face") == len(SHIPPED_FONTS)
    assert f'font-family: "{FAMILY}"' in css
    assert 'src: url("SSACertificateSerif-Bold.woff2") format("woff2")' in css
    assert "font-weight: 700" in css


def test_the_font_covers_common_hanzi_pinyin_and_punctuation():
    wanted = certificate_codepoints()
    assert {ord(c) for c in "阳光学堂张伟ǎü，。A"} <= wanted
