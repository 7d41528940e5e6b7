"""Certification depends on exams, courses and accounts; they never import it.

Exams and courses announce what happened (``exams.signals.exam_passed``,
``courses.signals.course_completed``) and the certification app listens, so there is no import
cycle to hide behind a function-local import.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
IMPORT = re.compile(r"^\s*(from|import)\s+(exams\.certificates|\.certificates)\b", re.M)
# Moved by another change (fonts into lms/lib); until then the font builder still imports it.
PENDING = {"exams/management/commands/build_certificate_fonts.py"}


@pytest.mark.parametrize("package", ["exams", "courses", "lms/accounts"])
def test_the_package_does_not_import_certification(package):
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(ROOT / "exams" / "certificates")
        and str(path.relative_to(ROOT)) not in PENDING
        and IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_certification_is_its_own_app():
    from django.apps import apps

    config = apps.get_app_config("certificates")
    assert config.name == "exams.certificates"
    assert config.get_model("Certificate")._meta.db_table == "exams_certificate"
