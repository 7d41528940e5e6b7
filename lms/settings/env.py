"""Typed readers for configuration from the environment.

Every setting that differs between machines comes through these helpers, so a typo in a
deployment fails at start-up with a message naming the variable instead of misbehaving later.

Secrets (:func:`env_secret`, ``env_url(..., secret=True)``) can also come from a file:
``<NAME>_FILE`` names a file holding the value, as Docker and Kubernetes mount secrets, so they
need not sit in the process environment (visible in ``/proc``, ``docker inspect``, crash
reports). Setting both is refused, since one of them would be silently ignored, and messages
about a secret never repeat its value.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    """Return the variable as a string; empty counts as unset."""
    raw = os.environ.get(name, "").strip()
    if raw:
        return raw
    if required:
        raise ImproperlyConfigured(f"{name} must be set in the environment")
    return default


def secret_from_file(name: str) -> str | None:
    """The value of secret ``name`` read from the file ``<name>_FILE`` names; None when that
    variable is unset. Surrounding whitespace (the final newline) is ignored, as for variables;
    an empty file counts as unset."""
    file_variable = f"{name}_FILE"
    path = os.environ.get(file_variable, "").strip()
    if not path:
        return None
    if os.environ.get(name, "").strip():
        raise ImproperlyConfigured(f"Both {name} and {file_variable} are set; set only one of them")
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ImproperlyConfigured(f"{file_variable}: cannot read {path}: {reason}") from None
    except UnicodeDecodeError:
        raise ImproperlyConfigured(f"{file_variable}: {path} is not UTF-8 text") from None
    return content.strip() or None


def env_secret(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    """A secret from ``name`` or from the file ``<name>_FILE`` names; empty counts as unset."""
    value = secret_from_file(name) or env_str(name)
    if value:
        return value
    if required:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment (or {name}_FILE to a file holding it)"
        )
    return default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}"
        )
    return value in _TRUE


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks between commas are ignored."""
    raw = env_str(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(
    name: str,
    default: str | None = None,
    *,
    schemes: set[str] | None = None,
    secret: bool = False,
) -> str | None:
    """A URL with a scheme and a host (or a path, for file-like schemes such as sqlite).

    ``secret``: the URL may carry a password (a database or broker URL), so it can come from
    ``<name>_FILE`` and an error does not repeat it."""
    raw = env_secret(name, default) if secret else env_str(name, default)
    if raw is None:
        return None
    parts = urlsplit(raw)
    shown = "" if secret else f", got {raw!r}"
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(f"{name} must be a URL such as scheme://host/...{shown}")
    if schemes is not None and parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must use one of: {allowed}; got {parts.scheme!r}")
    return raw.rstrip("/") if schemes and schemes <= {"http", "https"} else raw
