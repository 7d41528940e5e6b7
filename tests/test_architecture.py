"""The apps are layered and import no cycle: import-linter's contracts in pyproject.toml.

Layers, bottom to top: lms.lib and the lms infrastructure modules, lms.accounts, content,
courses, exams, exams.certificates, lms.compliance, the project wiring. A module may import only
from its own app or lower layers, function-local imports included (grimp reads every import
statement); migrations are ignored. Run alone: ``.venv/bin/lint-imports``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_app_imports_a_higher_layer():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # import-linter's report names each broken contract, the importing module, the line and
    # the import chain up the layers.
    assert result.returncode == 0, result.stdout + result.stderr
