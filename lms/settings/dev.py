"""Local development: DEBUG on, console email, SQLite and eager tasks unless configured."""

from .base import *  # noqa: F403
from .env import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)

# Demo staff accounts need TOTP; in local development the code 000000 is accepted (allauth
# itself refuses this setting unless DEBUG is on). Set it empty to practise with a real app.
MFA_TOTP_INSECURE_BYPASS_CODE = (
    env_str("MFA_TOTP_INSECURE_BYPASS_CODE", "000000") if DEBUG else None
)

# Serve static files straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
