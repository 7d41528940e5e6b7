"""The production settings as the two-node drill runs them (``bench/drill.py``).

Why a module of its own: everything comes from ``lms.settings.production`` and the environment
the drill sets (secret key, hosts, signing key, PostgreSQL, Redis broker and cache, object
storage, HTTPS behind a proxy), with one exception. Production serves static files from
``collectstatic``'s hashed, compressed copies; collecting them takes one to two minutes on a
small machine, longer than the drill itself, and static files are not what the drill proves.
Here WhiteNoise serves them straight from the apps' folders, as the test settings do.
"""

from lms.settings.production import *  # noqa: F403
from lms.settings.production import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
