"""Hermetic test settings.

DATABASE_URL is honoured so CI runs the suite on PostgreSQL; everything else is local and fast.
Tasks run eagerly unless a test starts a real worker on CELERY_BROKER_URL
(tests/lms/test_celery_worker.py).
"""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, VAR_DIR

# The benchmark tools (manage.py seed_bench): for tests and `make bench` only.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private-media"
# No signing key in the environment: sign credentials with the key derived from SECRET_KEY.
CERTIFICATE_ALLOW_DEV_SIGNING_KEY = True
# Local folders even when the environment configures object storage: the object-store tests
# (tests/lms/storage/) switch to S3 themselves, against a local S3-compatible server.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": "/private-media-is-not-served/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Serve static files straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# One process: tests of the parallel recompute (tests/compliance/test_parallel_recompute.py) ask
# for more themselves.
RATING_RECOMPUTE_PROCESSES = 1
