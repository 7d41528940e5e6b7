"""Where private files live: certificate PDFs and audit evidence.

They go to the ``private`` storage (``PRIVATE_MEDIA_ROOT``), outside ``MEDIA_ROOT``, which the
reverse proxy serves to anyone; views that check permissions stream them instead.
"""

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """A callable, so the storage is looked up at run time (tests and settings can swap it)."""
    return storages["private"]
