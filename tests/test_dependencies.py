"""Every third-party package the code imports is declared in pyproject.toml.

Why: a package that arrives only as somebody else's dependency (Pillow through Wagtail, pydantic
through django-ninja) can disappear or change major version when that other package moves on,
and the code breaks on an upgrade nobody made. Declaring it pins the range we rely on. App code
must declare in ``[project].dependencies``; test-only imports, the benchmark tooling (``bench/``)
and imports only the type checker sees (under ``if TYPE_CHECKING:``) may also use the ``dev``
extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"lms", "courses", "exams", "content", "tests", "bench"}
RUNTIME_DIRS = ("lms", "courses", "exams", "content")
TEST_DIRS = ("tests", "bench")


def normalise(name: str) -> str:
    """PEP 503: case-insensitive, runs of ``-``, ``_`` and ``.`` are one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    """The distribution name of a requirement such as ``celery[redis]>=5.7,<5.8``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert match, f"pyproject.toml: cannot read the requirement {spec!r}"
    return normalise(match.group(1))


def declared() -> tuple[set[str], set[str]]:
    """The runtime and dev distribution names declared in pyproject.toml, normalised."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    runtime = {requirement_name(spec) for spec in project["dependencies"]}
    dev = {
        requirement_name(spec)
        for specs in project.get("optional-dependencies", {}).values()
        for spec in specs
    }
    return runtime, dev


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks: imports only mypy runs."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            guarded.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return guarded


def imported_modules(path: Path, *, type_checking: bool = False) -> set[str]:
    """Top-level names of the absolute imports in ``path``, at any depth (function-local
    imports and ``pytest.importorskip`` count: the code needs them all the same). Imports under
    ``if TYPE_CHECKING:`` are left out, or with ``type_checking=True`` are the only ones read."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    guarded = _type_checking_nodes(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if (id(node) in guarded) != type_checking:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.partition(".")[0])
    return names


def third_party_imports(
    directories: tuple[str, ...], *, type_checking: bool = False
) -> dict[str, set[str]]:
    """Third-party top-level module -> the files (relative to the repository) importing it."""
    found: dict[str, set[str]] = defaultdict(set)
    for directory in directories:
        for path in sorted((ROOT / directory).rglob("*.py")):
            for module in imported_modules(path, type_checking=type_checking):
                if module in sys.stdlib_module_names or module in FIRST_PARTY:
                    continue
                found[module].add(str(path.relative_to(ROOT)))
    return found


def undeclared(
    directories: tuple[str, ...], allowed: set[str], *, type_checking: bool = False
) -> list[str]:
    """One line per imported module whose distribution is not among ``allowed``."""
    distributions = packages_distributions()
    problems = []
    imports = third_party_imports(directories, type_checking=type_checking)
    for module, files in sorted(imports.items()):
        names = {normalise(name) for name in distributions.get(module, [])}
        if names & allowed:
            continue
        provider = ", ".join(sorted(names)) or "no installed distribution"
        where = ", ".join(sorted(files)[:3]) + (" ..." if len(files) > 3 else "")
        problems.append(f"  {module} ({provider}) imported by {where}")
    return problems


def test_the_dependency_check_sees_imports_at_every_depth(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        "import os.path\nfrom . import sibling\nfrom bs4 import BeautifulSoup\n"
        "def f():\n    import PIL.Image\n    pytest.importorskip('zxingcpp')\n",
        encoding="utf-8",
    )
    assert imported_modules(module) == {"os", "bs4", "PIL", "zxingcpp"}
    typed = tmp_path / "typed.py"
    typed.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from django_stubs_ext import X\n",
        encoding="utf-8",
    )
    assert imported_modules(typed) == {"typing"}
    assert imported_modules(typed, type_checking=True) == {"django_stubs_ext"}
    assert requirement_name("django-allauth[mfa]>=65.22,<66") == "django-allauth"
    assert normalise("Typing_Extensions") == normalise("typing.extensions") == "typing-extensions"


def test_app_code_imports_only_declared_runtime_dependencies():
    runtime, _dev = declared()
    problems = undeclared(RUNTIME_DIRS, runtime)
    assert not problems, (
        "App code imports packages that pyproject.toml's [project].dependencies does not "
        "declare (add them with a range, and their pinned version to requirements.lock):\n"
        + "\n".join(problems)
    )


def test_tests_import_only_declared_dependencies():
    runtime, dev = declared()
    problems = undeclared(TEST_DIRS, runtime | dev)
    assert not problems, (
        "Tests import packages that pyproject.toml declares neither in [project].dependencies "
        "nor in [project.optional-dependencies] (add them to the dev extra with a range, and "
        "their pinned version to requirements.lock):\n" + "\n".join(problems)
    )


def test_imports_for_the_type_checker_are_declared():
    runtime, dev = declared()
    problems = undeclared(RUNTIME_DIRS + TEST_DIRS, runtime | dev, type_checking=True)
    assert not problems, (
        "Code imports under `if TYPE_CHECKING:` packages that pyproject.toml declares nowhere "
        "(add them to the dev extra with a range, and their pinned version to "
        "requirements.lock):\n" + "\n".join(problems)
    )
