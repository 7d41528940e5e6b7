"""Every UI string is in the catalogues, and every one has a Simplified Chinese translation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def gettext_tools():
    if not shutil.which("msgfmt") or not shutil.which("xgettext"):
        from tests.conftest import require_service

        require_service("gettext", "gettext is not installed (apt-get install gettext)")


def test_every_chinese_message_is_translated(gettext_tools):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(ZH)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_catalogue_has_every_string_in_the_code(gettext_tools, tmp_path):
    """makemessages on a copy of the tree must find nothing the committed catalogue lacks."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "tests", "__pycache__", "*.mo"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        ["msgcmp", "--use-untranslated", str(ZH), str(copy / ZH.relative_to(ROOT))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, "run `make messages` and translate:\n" + result.stderr
