"""``manage.py build_certificate_fonts [--source-dir DIR] [--output-dir DIR]``."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from lms.lib.fonts import (
    FONTS_DIR,
    SHIPPED_FONTS,
    SYSTEM_FONTS_DIR,
    build_font,
    certificate_codepoints,
    source_version,
)


class Command(BaseCommand):
    help = (
        "Rebuild the certificate fonts in lms/lib/fontfiles/ (SSA Certificate Serif, Regular and "
        "Bold) from Debian's Noto Serif CJK SC: subset to GB 2312 plus Latin and punctuation, "
        "renamed, TrueType outlines, WOFF2. Needs the fonts-noto-cjk package; takes about a "
        "minute. See lms/lib/fontfiles/README.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--source-dir",
            type=Path,
            default=SYSTEM_FONTS_DIR,
            help=f"folder holding NotoSerifCJK-*.ttc (default: {SYSTEM_FONTS_DIR})",
        )
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=FONTS_DIR,
            help=f"folder to write the .woff2 files to (default: {FONTS_DIR})",
        )

    @no_translations
    def handle(self, *args: object, source_dir: Path, output_dir: Path, **options: object) -> None:
        characters = certificate_codepoints()
        self.stdout.write(f"{len(characters)} characters requested")
        for font in SHIPPED_FONTS:
            source = source_dir / font.source_file
            started = time.monotonic()
            try:
                built = build_font(font, source_dir, output_dir, characters)
                version = source_version(source)
            except (FileNotFoundError, LookupError) as exc:
                raise CommandError(str(exc)) from None
            except OSError as exc:
                raise CommandError(f"cannot write to {output_dir}: {exc}") from None
            size = built.path.stat().st_size
            self.stdout.write(
                self.style.SUCCESS(
                    f"{built.path.name}: {built.glyphs} glyphs, {size / 1_000_000:.2f} MB, "
                    f"from {source.name} ({version}) in {time.monotonic() - started:.0f} s"
                )
            )
            if built.missing:
                sample = "".join(chr(code) for code in sorted(built.missing)[:20])
                self.stdout.write(
                    f"  {len(built.missing)} requested characters are not in the source "
                    f"(they fall back to other fonts): {sample!r}"
                )
