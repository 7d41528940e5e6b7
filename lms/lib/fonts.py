"""The certificate's own CJK font: a TrueType subset of Debian's Noto Serif CJK SC.

Shared: certificates, the monthly compliance report and the slide PDFs all embed it, so it
lives in the toolkit with its files (``lms/lib/fontfiles/``), not inside one app.

Why it exists: WeasyPrint subsets every font it embeds, on every render. Subsetting the 26 MB
Noto Serif CJK collection takes seconds per certificate; the same work on this pre-built subset
(the GB 2312 repertoire plus Latin and punctuation, about 7,800 glyphs) takes a few hundredths
of a second. Choices, each measured (see lms/lib/fontfiles/README.md):

* TrueType outlines (converted from the source's CFF): WeasyPrint's fontTools subsetter rebuilds
  a CFF table from every glyph on each render, while it leaves unused TrueType glyphs alone.
* No hinting and no GSUB/GPOS/vertical-metrics tables: WeasyPrint drops hinting and layout
  tables from the PDF anyway, and decompiling the Latin kerning table alone costs more per
  render than all the glyph work.
* WOFF2 with its glyf transform off: half the size on disk and in the repository, and decoded
  in a few hundredths of a second (once per process, by WeasyPrint's @font-face loader).
* Renamed "SSA Certificate Serif", as the SIL Open Font License asks of modified versions.

``manage.py build_certificate_fonts`` rebuilds the files from the system font.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "fontfiles"
SYSTEM_FONTS_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCE_FAMILY = "Noto Serif CJK SC"  # the face taken from each .ttc collection
FAMILY = "SSA Certificate Serif"  # certificate.css lists it first, then the system fonts
MAX_CONVERSION_ERROR = 1.0  # font units (of 1,000 per em) when turning cubic curves quadratic

# Unicode blocks kept besides GB 2312: ASCII, Latin-1, Latin Extended-A (names in pinyin or
# European languages), general punctuation, CJK symbols and punctuation, full-width forms.
EXTRA_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x01CD, 0x01DC),  # pinyin vowels with the third tone (ǎ, ǐ, ǒ, ǔ) and ü with tones
    (0x2000, 0x206F),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)
# Names kept in the font's name table besides the ones set here: copyright, manufacturer,
# designers, vendor and designer URLs, licence text and licence URL.
KEPT_NAME_IDS = (0, 8, 9, 11, 12, 13, 14)
DROPPED_TABLES = ("BASE", "VORG", "vhea", "vmtx", "DSIG", "GDEF", "GSUB", "GPOS", "JSTF")


@dataclass(frozen=True)
class ShippedFont:
    """One weight of the shipped family and the system collection it is built from."""

    style: str
    weight: int
    source_file: str

    @property
    def filename(self) -> str:
        return f"{FAMILY.replace(' ', '')}-{self.style}.woff2"

    @property
    def path(self) -> Path:
        return FONTS_DIR / self.filename


SHIPPED_FONTS = (
    ShippedFont("Regular", 400, "NotoSerifCJK-Regular.ttc"),
    ShippedFont("Bold", 700, "NotoSerifCJK-Bold.ttc"),
)


@dataclass(frozen=True)
class BuiltFont:
    """What ``build_font`` wrote: the file, its glyph count and the requested characters the
    source font does not have (left to the fallback fonts)."""

    path: Path
    glyphs: int
    missing: frozenset[int]


def gb2312_codepoints() -> frozenset[int]:
    """Every character of GB 2312 (6,763 hanzi and 682 symbols), read from Python's codec."""
    found = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


def certificate_codepoints() -> frozenset[int]:
    """The characters the shipped font should cover: GB 2312 plus :data:`EXTRA_RANGES`."""
    extra = {code for start, end in EXTRA_RANGES for code in range(start, end + 1)}
    return gb2312_codepoints() | extra


def font_face_css() -> str:
    """@font-face rules for the shipped fonts, with URLs relative to :data:`FONTS_DIR`."""
    return "\n".join(
        f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; '
        f'font-weight: {font.weight}; src: url("{font.filename}") format("woff2"); }}'
        for font in SHIPPED_FONTS
    )


def build_font(
    font: ShippedFont,
    source_dir: Path = SYSTEM_FONTS_DIR,
    output_dir: Path = FONTS_DIR,
    codepoints: frozenset[int] | None = None,
) -> BuiltFont:
    """Subset, rename and convert one weight from the system collection; write it as WOFF2.

    The output depends only on the source file, so rebuilding from the same Debian package
    gives the same bytes. Takes about half a minute per weight.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = source_dir / font.source_file
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found (Debian package fonts-noto-cjk)")
    ttfont = TTFont(source, fontNumber=_face_index(source), recalcTimestamp=False)
    wanted = certificate_codepoints() if codepoints is None else codepoints
    missing = frozenset(wanted - set(ttfont.getBestCmap()))
    version = ttfont["name"].getDebugName(5) or ""

    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += list(DROPPED_TABLES)
    options.name_IDs = list(KEPT_NAME_IDS)
    options.name_languages = [0x409]
    options.name_legacy = False
    options.notdef_outline = True
    options.glyph_names = True
    options.prune_unicode_ranges = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(ttfont)

    _rename(ttfont, font, version)
    _convert_to_truetype(ttfont)
    # One Unicode cmap (Windows, BMP) instead of two identical ones: WeasyPrint decompiles it
    # on every render.
    cmap = ttfont["cmap"]
    cmap.tables = [table for table in cmap.tables if (table.platformID, table.platEncID) == (3, 1)]

    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / font.filename
    _save_woff2(ttfont, path)
    return BuiltFont(path=path, glyphs=len(ttfont.getGlyphOrder()), missing=missing)


def source_version(source: Path) -> str:
    """The version string (name ID 5) of the source face, for the build report."""
    from fontTools.ttLib import TTFont

    return TTFont(source, fontNumber=_face_index(source), lazy=True)["name"].getDebugName(5) or ""


def _face_index(collection: Path) -> int:
    """The index of :data:`SOURCE_FAMILY` in a .ttc collection."""
    from fontTools.ttLib import TTCollection

    faces = TTCollection(collection, lazy=True).fonts
    for index, face in enumerate(faces):
        if face["name"].getDebugName(1) == SOURCE_FAMILY:
            return index
    raise LookupError(f"{collection} has no {SOURCE_FAMILY!r} face")


def _rename(ttfont, font: ShippedFont, source_version: str) -> None:
    """Give the subset its own names (OFL: a modified version must not use the original's)."""
    postscript = f"{FAMILY.replace(' ', '')}-{font.style}"
    name = ttfont["name"]
    for name_id, text in {
        1: FAMILY,
        2: font.style,
        3: f"{postscript};{source_version}",
        4: f"{FAMILY} {font.style}" if font.style != "Regular" else FAMILY,
        5: source_version,
        6: postscript,
        10: (
            f"Subset of {SOURCE_FAMILY} {font.style} ({source_version}) for Sunshine Academy "
            "certificates: GB 2312, Latin and punctuation, TrueType outlines, no hinting. "
            "Built by manage.py build_certificate_fonts."
        ),
    }.items():
        name.setName(text, name_id, 3, 1, 0x409)


def _convert_to_truetype(ttfont) -> None:
    """Replace the CFF outlines with quadratic TrueType ones (as fontTools' otf2ttf does)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_order = ttfont.getGlyphOrder()
    glyph_set = ttfont.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for glyph_name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        # CFF contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[glyph_name].draw(Cu2QuPen(pen, MAX_CONVERSION_ERROR, reverse_direction=True))
        glyf[glyph_name] = pen.glyph()
    ttfont["glyf"] = glyf
    ttfont["loca"] = newTable("loca")
    del ttfont["CFF "]

    maxp = ttfont["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    ttfont["head"].glyphDataFormat = 0
    # Glyph names stored: without them fontTools derives names from the cmap, which costs
    # WeasyPrint more per render than reading 80 kB of names.
    ttfont["post"].formatType = 2.0
    ttfont["post"].extraNames = []
    ttfont["post"].mapping = {}
    ttfont.sfntVersion = "\x00\x01\x00\x00"


def _save_woff2(ttfont, path: Path) -> None:
    """Write WOFF2 with the glyf/loca transform off: a little larger, decoded far faster."""
    from fontTools.ttLib.woff2 import WOFF2FlavorData

    ttfont.flavor = "woff2"
    ttfont.flavorData = WOFF2FlavorData(transformedTables=())
    ttfont.save(path, reorderTables=True)
