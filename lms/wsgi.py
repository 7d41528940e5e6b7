"""WSGI entry point for gunicorn: ``gunicorn lms.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

application = get_wsgi_application()

# Everything loaded so far (Django, Wagtail, the URL resolver, translations: some 200,000
# objects) lives as long as the process. Frozen, the cyclic garbage collector no longer scans
# it on each full collection, which otherwise paused a request for over 100 ms every hundred
# or so big-firm roster pages; with gunicorn --preload the forked workers also keep sharing
# those pages instead of copying them as the collector touches them.
gc.freeze()
