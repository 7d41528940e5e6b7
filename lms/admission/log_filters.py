"""Keeps live application links out of the logs.

An application's secret token is part of its URL (``/firms/apply/r/<token>/…``), and Django's
loggers write request paths: ``django.request`` on every 4xx/5xx ("Not Found: /path"),
``django.server`` (runserver's access log, the request line), ``django.security.csrf``, and the
admins' error email builds its report from the request (path, ``META`` with ``PATH_INFO`` and
the ``Referer`` of a page opened from the link). :class:`MaskApplicationTokens`, attached in
``LOGGING`` to those loggers and to every handler, replaces the token with ``***`` in the
message and hands handlers a copy of the request with masked path and ``META`` (the request
itself is left alone). Loaded by the logging configuration before the apps are ready: it
imports nothing from the project.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# The public application pages are included at /firms/apply/ (lms/urls.py); "r/<token>/" is
# ``admission:resume`` and the downloads under it (lms/admission/urls.py).
TOKEN_IN_PATH = re.compile(r"(/firms/apply/r/)[^/\s?#\"']+")
MASK = r"\1***"


def mask(text: str) -> str:
    """``text`` with every application token in a path replaced by ``***``."""
    return TOKEN_IN_PATH.sub(MASK, text)


def _masked_request(request: Any) -> Any:
    """A shallow copy of ``request`` whose path and string ``META`` values are masked."""
    masked = copy.copy(request)
    for name in ("path", "path_info"):
        value = getattr(request, name, None)
        if isinstance(value, str):
            setattr(masked, name, mask(value))
    meta = getattr(request, "META", None)
    if isinstance(meta, dict):
        masked.META = {
            key: mask(value) if isinstance(value, str) else value for key, value in meta.items()
        }
    return masked


class MaskApplicationTokens(logging.Filter):
    """Masks application tokens in a log record (message, arguments and request); never
    drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a broken record: the handler reports it
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        request = getattr(record, "request", None)
        if request is not None and not getattr(request, "_tokens_masked", False):
            path = getattr(request, "path", "")
            referer = getattr(request, "META", {}).get("HTTP_REFERER", "")
            if TOKEN_IN_PATH.search(f"{path} {referer}"):
                masked = _masked_request(request)
                masked._tokens_masked = True
                record.request = masked
        return True
