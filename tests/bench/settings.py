"""Settings for the benchmark's gunicorn server and its set-up commands (separate processes).

Production-like where it matters to speed: DEBUG off, the production middleware, persistent
database connections. The database is never the developer's: ``BENCH_DATABASE_URL`` is
required, and the benchmark points it at a throw-away SQLite file or a PostgreSQL database of
its own (see tests/bench/conftest.py).
"""

from __future__ import annotations

import dj_database_url

from lms.settings.base import *  # noqa: F403
from lms.settings.base import INSTALLED_APPS, SQLITE_OPTIONS
from lms.settings.env import env_int, env_str

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # manage.py seed_bench
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECRET_KEY = "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = "tests.bench.urls"
# No signing key in the benchmark's environment: sign with the key derived from SECRET_KEY.
CERTIFICATE_ALLOW_DEV_SIGNING_KEY = True

DATABASES = {
    "default": dj_database_url.parse(
        env_str("BENCH_DATABASE_URL", required=True),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same SQLite tuning as base.py's embedded default (WAL, IMMEDIATE, NORMAL sync).
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
elif (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and "django.contrib.postgres" not in INSTALLED_APPS
):
    # As in base.py, which decides from DATABASE_URL rather than BENCH_DATABASE_URL.
    INSTALLED_APPS.append("django.contrib.postgres")

# Warnings and errors only: the benchmark's output is its BENCH lines.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
WHITENOISE_USE_FINDERS = True
