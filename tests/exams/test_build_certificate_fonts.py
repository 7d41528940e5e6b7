"""``manage.py build_certificate_fonts`` and the font build behind it (lms/lib/fonts.py).

The real build takes a minute or two; these build a handful of characters from the same source.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lms.lib.fonts import FAMILY, SHIPPED_FONTS, SYSTEM_FONTS_DIR, build_font
from tests.conftest import require_service

CHARACTERS = "阳光Ab龘Ą"  # 龘 is outside GB 2312 but in the source; Ą is not in the source


@pytest.fixture
def source_dir() -> Path:
    if not (SYSTEM_FONTS_DIR / SHIPPED_FONTS[0].source_file).is_file():
        require_service(
            "fonts-noto-cjk",
            f"{SYSTEM_FONTS_DIR} has no Noto Serif CJK (Debian package fonts-noto-cjk)",
        )
    return SYSTEM_FONTS_DIR


def test_it_builds_a_renamed_truetype_subset_the_same_way_twice(
    source_dir: Path, tmp_path: Path
) -> None:
    from fontTools.ttLib import TTFont

    codepoints = frozenset(map(ord, CHARACTERS))
    built = build_font(SHIPPED_FONTS[0], source_dir, tmp_path / "one", codepoints)
    again = build_font(SHIPPED_FONTS[0], source_dir, tmp_path / "two", codepoints)

    assert built.missing == {ord("Ą")}
    assert built.path.read_bytes() == again.path.read_bytes()
    font = TTFont(built.path)
    assert font.flavor == "woff2"
    assert set(font.getBestCmap()) == codepoints - {ord("Ą")}
    assert "glyf" in font and "CFF " not in font
    assert not {"GSUB", "GPOS", "vmtx"} & set(font.keys())
    assert [(t.platformID, t.platEncID) for t in font["cmap"].tables] == [(3, 1)]
    names = {record.nameID: record.toUnicode() for record in font["name"].names}
    assert (names[1], names[2], names[6]) == (FAMILY, "Regular", "SSACertificateSerif-Regular")
    assert names[5].startswith("Version 2.")


def test_the_command_fails_clearly_without_the_source_fonts(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="fonts-noto-cjk"):
        call_command("build_certificate_fonts", source_dir=tmp_path, output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
