"""The benchmark tools as an app, so ``manage.py seed_bench`` exists only where it is meant to.

Why an app: ``seed_bench`` fills a database with a hundred thousand invented collectors. It is
a benchmark tool, not part of the platform, so it is installed only by the test settings
(``lms.settings.test``, for tests/compliance/test_recompute.py and ``make bench``) and the
benchmark's own settings (``tests.bench.settings``), never by the dev or production settings,
and it is not packaged (pyproject's package list leaves it out). It sits outside ``tests/`` so
the test settings do not depend on the test tree (tests/test_translations.py runs
``makemessages`` on a copy without it).
"""

from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bench"
    label = "bench"
    verbose_name = "Benchmarks"
