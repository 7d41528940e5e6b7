"""Typed readers for configuration from the environment.

Every setting that differs between machines comes through these helpers, so a typo in a
deployment fails at start-up with a message naming the variable instead of misbehaving later.
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
    name: str, default: str | None = None, *, schemes: set[str] | None = None
) -> str | None:
    """A URL with a scheme and a host (or a path, for file-like schemes such as sqlite)."""
    raw = env_str(name, default)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(f"{name} must be a URL such as scheme://host/..., got {raw!r}")
    if schemes is not None and parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must use one of: {allowed}; got {parts.scheme!r}")
    return raw.rstrip("/") if schemes and schemes <= {"http", "https"} else raw
