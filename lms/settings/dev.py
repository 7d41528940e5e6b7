"""Local development: DEBUG on, console email, SQLite and eager tasks unless configured."""

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str, env_url

DEBUG = env_bool("DJANGO_DEBUG", True)


def development_base_url(host: str, port: int) -> str:
    """The address ``runserver HOST:PORT`` answers on, as a browser on this machine reaches it.

    ``make run`` passes HOST and PORT to runserver and to this settings module, so
    ``PORT=8101 make run`` puts 8101 into seed output, emails, QR codes and credential ids
    instead of a stale :8000. A wildcard bind address is not an address to visit.
    """
    if host in {"0.0.0.0", "::", "[::]", ""}:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # a bare IPv6 address in a URL needs brackets
    return f"http://{host}:{port}"


# SITE_BASE_URL still wins when set; otherwise follow the address runserver is started on.
_base_url = env_url(
    "SITE_BASE_URL",
    development_base_url(env_str("HOST") or "127.0.0.1", env_int("PORT", 8000)),
    schemes={"http", "https"},
)
assert _base_url is not None  # it has a default; env_url's type covers calls without one
SITE_BASE_URL = _base_url
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_BASE_URL.startswith("https") else "http"

# Demo staff accounts need TOTP; in local development the code 000000 is accepted (allauth
# itself refuses this setting unless DEBUG is on). Set it empty to practise with a real app.
MFA_TOTP_INSECURE_BYPASS_CODE = (
    env_str("MFA_TOTP_INSECURE_BYPASS_CODE", "000000") if DEBUG else None
)

# Serve static files straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
