"""Settings shared by every environment; environment-specific files import and adjust these.

Anything that differs between machines is read from the environment through ``lms.settings.env``
(see the configuration table in README.md).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from .env import env_bool, env_int, env_list, env_secret, env_str, env_url
from .storage import (
    media_origins,
    media_url_expiry,
    private_files_delivery,
    private_url_expiry,
    storages,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# A development-only fallback: production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", "django-insecure-dev-only-not-for-any-real-deployment")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the site, used wherever a link leaves the request (emails,
# certificate QR codes, the Wagtail admin's notification emails).
_base_url = env_url("SITE_BASE_URL", "http://127.0.0.1:8000", schemes={"http", "https"})
assert _base_url is not None  # it has a default; env_url's type covers calls without one
SITE_BASE_URL: str = _base_url
WAGTAILADMIN_BASE_URL = SITE_BASE_URL

INSTALLED_APPS = [
    "lms.auditlog",
    "lms.accounts",
    # Before lms.compliance: a new certificate completes its assignments (certificates'
    # receiver) before the rating listens to the same signal and recomputes.
    "exams.certificates",
    "lms.compliance",
    "lms.admission",
    "content",
    "courses",
    "exams",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "lms.accounts.apps.WagtailUsersConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The product's name and address for allauth's emails (lms/accounts/site.py).
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # For its static files only: the API docs (/api/v1/docs) serve Swagger UI from here,
    # never from a CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After the CSP middleware, so its response is seen first: picks the admin's policy.
    "lms.security_headers.SecurityHeadersMiddleware",
    # Before anything reads the session or the database: a NUL there is a 500 on PostgreSQL.
    "lms.middleware.RejectMalformedInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: names the request's user as the actor of its audit events.
    "lms.auditlog.context.AuditContextMiddleware",
    "lms.accounts.middleware.LanguageMiddleware",
    "lms.accounts.middleware.StaffMFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Checks what a few of Wagtail's admin views read unchecked (ids, required fields).
    "lms.bad_input.WagtailInputMiddleware",
]

ROOT_URLCONF = "lms.urls"
SITE_ID = 1
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "content.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL points elsewhere (PostgreSQL in production/CI).
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL is None:
    VAR_DIR.mkdir(exist_ok=True)  # SQLite cannot create the folder its file lives in
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The embedded default serves several processes (web and worker) from one file: writers queue
# for the lock instead of failing with "database is locked" (IMMEDIATE), readers do not wait for
# writers (WAL), and a commit does not wait for the disk (NORMAL is durable against application
# crashes in WAL mode; only a power cut can lose the last commits).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search index uses PostgreSQL's full-text search (GIN indexes) there.
    INSTALLED_APPS.append("django.contrib.postgres")

# Cache: shared Redis when CACHE_URL is set (needed for allauth's rate limits to hold across
# several gunicorn processes), otherwise per-process memory.
CACHE_URL = env_url("CACHE_URL", schemes={"redis", "rediss"}, secret=True)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# allauth is the only way to sign in with a password (its rate limits, lockout and MFA step
# apply there and nowhere else). Wagtail's own login, password-reset and password-change forms
# would bypass all three, so Wagtail sends people to allauth instead; lms/urls.py redirects the
# routes Wagtail still declares. See README "Sign-in paths and MFA".
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Admins never choose someone else's password: people set their own through allauth's reset
# link (as invited staff already do).
WAGTAILUSERS_PASSWORD_ENABLED = False
# No shared page or document passwords: access follows roles and sign-in, not a password
# passed around by word of mouth (and Wagtail's page-password form has no rate limit).
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}

# django-allauth: email is the login, verified before first use; rate limits stay at allauth's
# defaults (login failures, sign-ups, password resets, confirmation emails).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "lms.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "lms.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[阳光学堂] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_BASE_URL.startswith("https") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Sunshine Academy"

# Internationalisation: Simplified Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# locale/ is ours (make messages); locale-overrides/ translates Django's and Wagtail's strings
# their zh_Hans catalogues lack, which makemessages would drop from ours (see its header).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-overrides"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Everyone reads times in Beijing time, in the admin too: with one zone Wagtail drops the
# per-user time-zone choice (whose list started at Africa/Abidjan and offered UTC).
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
WAGTAIL_I18N_ENABLED = False

# Static and media files: WhiteNoise serves static files in every environment.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT") or VAR_DIR / "private-media")
# Local folders unless OBJECT_STORAGE_* configures S3-compatible storage (lms/settings/storage.py).
STORAGES = storages(
    media_root=MEDIA_ROOT,
    private_root=PRIVATE_MEDIA_ROOT,
    static_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
)
PRIVATE_FILES_DELIVERY = private_files_delivery()
PRIVATE_URL_EXPIRY = private_url_expiry()
# Wagtail documents' signed URLs (lesson videos keep seeking for the whole lesson).
MEDIA_URL_EXPIRY = media_url_expiry()
# The media bucket's origin (none with local files): pages show its images and play its media.
MEDIA_ORIGINS = media_origins()

# Email: console output unless an SMTP host is configured (Django 6.1's MAILERS setting).
_smtp_host = env_str("EMAIL_HOST")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_secret("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 10,
            },
        }
        if _smtp_host
        else {"BACKEND": "lms.mail.EmailBackend"}  # console, readable (lms/mail.py)
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "阳光学堂 <noreply@sunshine-academy.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Wagtail
WAGTAIL_SITE_NAME = "阳光学堂 Sunshine Academy"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# No avatars from Gravatar: the site must not leak staff emails' hashes to a third party,
# and it is unreachable from many networks in China anyway.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# No calls home from the admin (releases.wagtail.org): the policy's connect-src is 'self', and the
# site must not depend on a foreign service that many networks in China cannot reach.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILDOCS_EXTENSIONS = ["pdf", "pptx", "ppt", "docx", "doc", "xlsx", "xls", "mp4", "mp3"]
# Trainers' documents are checked by content too (lms.uploads), not only by extension.
WAGTAILDOCS_DOCUMENT_FORM_BASE = "content.documents.DocumentForm"
# Document links always go through Wagtail's serve view, which checks a private collection's
# restrictions first; never "direct" (a link to the file itself, unchecked). With object storage
# the view then redirects to a short-lived signed URL (content/documents.py, a hook after
# Wagtail's check) or streams the file (PRIVATE_FILES_DELIVERY = stream).
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Wagtail's default, pinned: raster formats decoded by Pillow, never SVG (it can carry script).
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]

# Celery: no broker configured means tasks run in-process (eager), so a newcomer needs no
# Redis; set CELERY_BROKER_URL for real workers.
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", schemes={"redis", "rediss", "amqp", "amqps"}, secret=True
)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
if CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
# A worker that dies mid-task (SIGKILL, OOM, a lost machine) never acknowledges its message
# (acks_late). Redis has no acknowledgements of its own: kombu keeps such a message aside and
# hands it to another worker once it has been unacknowledged for the visibility timeout. It must
# exceed the longest task (CELERY_TASK_TIME_LIMIT) and the longest retry countdown or ETA (30 min:
# the issuance email's back-off), or a message still running or waiting is delivered twice (the
# tasks are idempotent, but the work is done twice). Every worker looks for such messages every
# CELERY_BROKER_RESTORE_INTERVAL seconds. The drill (bench/drill.py) lowers both to see a lost
# task come back within seconds. README: "Production topology".
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env_int("CELERY_BROKER_RESTORE_INTERVAL", 60),
    # kombu scans only every Nth interval by default (10): 1 makes the interval the period.
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "lms.accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "close-abandoned-exam-attempts": {
        "task": "exams.tasks.close_abandoned_attempts",
        "schedule": crontab(minute="*/5"),
    },
    "dispatch-pending-certificate-issuances": {
        "task": "exams.certificates.tasks.dispatch_pending_issuances",
        "schedule": crontab(minute="*/5"),
    },
    # Certificates of attendance a lost broker message never issued (a closed session's).
    "sweep-attendance-certificates": {
        "task": "exams.certificates.tasks.sweep_attendance_certificates",
        "schedule": crontab(minute=23),
    },
    # Certificate lifecycle: expire first, then remind (Asia/Shanghai time).
    "expire-certificates": {
        "task": "exams.certificates.tasks.expire_certificates",
        "schedule": crontab(hour=0, minute=5),
    },
    "send-certificate-expiry-reminders": {
        "task": "exams.certificates.tasks.send_expiry_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # Update modules after a change in the law: notices as courses go live; suspension after
    # the deadline (after expiry at 00:05, so an expired certificate is not suspended).
    "notify-update-module-holders": {
        "task": "exams.certificates.tasks.notify_update_holders",
        "schedule": crontab(minute="*/15"),
    },
    "suspend-overdue-update-modules": {
        "task": "exams.certificates.tasks.suspend_overdue_updates",
        "schedule": crontab(hour=0, minute=20),
    },
    "email-unsent-certificates": {
        "task": "exams.certificates.tasks.email_unsent_certificates",
        "schedule": crontab(minute=23),
    },
    # Webhook deliveries whose task was lost (broker outage, worker killed) are queued again.
    "retry-pending-webhooks": {
        "task": "lms.compliance.tasks.webhooks.retry_pending_webhooks",
        "schedule": crontab(minute="*/5"),
    },
    # Compliance ratings: the nightly full recompute, after certificates expire (00:05).
    "recompute-all-ratings": {
        "task": "lms.compliance.tasks.ratings.recompute_all_ratings",
        "schedule": crontab(hour=2, minute=30),
    },
    # Admissions expiring within 30 days (or expired) get a re-assessment; managers are emailed.
    "open-admission-reassessments": {
        "task": "lms.admission.tasks.open_reassessments",
        "schedule": crontab(hour=7, minute=10),
    },
    # The previous month's compliance report, emailed to each firm's managers.
    "send-monthly-compliance-reports": {
        "task": "lms.compliance.tasks.reports.send_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    # Booked attendees of tomorrow's event sessions get a reminder with the calendar entry.
    "send-session-reminders": {
        "task": "content.tasks.send_session_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # The audit log: sign the chain's head, then verify the whole log (a VerificationRun).
    "audit-checkpoint-and-verify": {
        "task": "lms.auditlog.tasks.checkpoint_and_verify",
        "schedule": crontab(minute=7),
    },
}

# The nightly full rating recompute rates its chunks in this many worker processes, each with
# its own database connection (lms/compliance/parallel.py): 0 means one per CPU core of the
# machine running it. PostgreSQL only; SQLite and calls inside a transaction use one process.
RATING_RECOMPUTE_PROCESSES = env_int("RATING_RECOMPUTE_PROCESSES", 0)
if RATING_RECOMPUTE_PROCESSES < 0:
    raise ImproperlyConfigured("RATING_RECOMPUTE_PROCESSES must be 0 (one per core) or more")

# Signed Open Badges 3.0 credentials (exams/certificates/signing.py). The Ed25519 secret key as a
# multibase Multikey ("z3u2..."), printed by `manage.py generate_signing_key`. Without one, a key
# derived from SECRET_KEY is used where DEBUG (or CERTIFICATE_ALLOW_DEV_SIGNING_KEY, for tests) is
# on; anywhere else a system check error stops start-up. Retired keys' public Multikeys
# ("z6Mk...", comma-separated) stay published so credentials signed with them still verify.
CERTIFICATE_SIGNING_KEY = env_secret("CERTIFICATE_SIGNING_KEY")
CERTIFICATE_RETIRED_PUBLIC_KEYS = env_list("CERTIFICATE_RETIRED_PUBLIC_KEYS")
CERTIFICATE_ALLOW_DEV_SIGNING_KEY = False
# Public verification lookups per client IP (django-ratelimit syntax), so codes cannot be guessed.
CERTIFICATE_VERIFY_RATE = env_str("CERTIFICATE_VERIFY_RATE", "30/m")

# Audit-log bundle downloads per firm manager (/firm/audit-log/), count/period as above.
AUDIT_LOG_EXPORT_RATE = env_str("AUDIT_LOG_EXPORT_RATE", "10/h")

# Platform API (/api/v1/): calls per token (count/period, period s, m, h or d); over it, a 429.
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/m")
# Webhooks are refused for private, loopback and link-local addresses (SSRF) unless DEBUG is on
# or this is set (for a receiver inside the same private network).
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
# After a subscription's signing secret is rotated, deliveries carry a signature made with the
# old secret too for this long, so the receiver can switch over without refusing any.
WEBHOOK_SECRET_OVERLAP = timedelta(hours=env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24))

# Security headers (README: Security notes). The site's own pages run no inline script or
# style: scripts are static files or carry the request's nonce ({{ csp_nonce }}). On in every
# environment, tests included, so a page that breaks under the policy fails its browser journey.
# Video embeds in lessons and events are provider iframes (Wagtail's oEmbed finders).
EMBED_FRAME_SOURCES = env_list(
    "CSP_EMBED_FRAME_SOURCES",
    [
        "https://www.youtube.com",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        "https://player.bilibili.com",
        "https://v.qq.com",
        "https://player.youku.com",
    ],
)
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, *MEDIA_ORIGINS],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF, *MEDIA_ORIGINS],
    "frame-src": [CSP.SELF, *EMBED_FRAME_SOURCES],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Wagtail 8's admin still runs inline scripts without a nonce (date pickers, inline panels, the
# HTML its choosers and StreamField insert) and its jQuery inserts <style> elements (the page
# form's rich text): Chromium blocks both without 'unsafe-inline' here (the browser journeys
# tests/e2e/test_security_journey.py and test_publishing_journey.py walk the editor). This
# policy covers URLs under /admin/ (lms/security_headers.py); a nonce in script-src or
# style-src would make browsers ignore 'unsafe-inline'.
SECURE_CSP_ADMIN: dict[str, list[str]] = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", *MEDIA_ORIGINS],
    "frame-ancestors": [CSP.SELF],
}
# Swagger UI (/api/v1/docs) draws its icons as data: SVG images from its own stylesheet.
SECURE_CSP_API_DOCS: dict[str, list[str]] = {**SECURE_CSP, "img-src": [CSP.SELF, "data:"]}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Powerful features nobody here uses are off; the camera stays available to the site itself
# (collectors will scan QR codes to check in at salons).
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), midi=(), browsing-topics=()"
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views allow their own same-origin frame.

# Application links carry a secret token in the path (/firms/apply/r/<token>/): the
# "mask_application_tokens" filter masks it wherever a path is logged, on the loggers that log
# paths (before Django's own handlers, e.g. the admins' error email, see them) and on every
# handler. "django.server" (runserver's access log) is redefined as in Django's defaults, with
# the filter.
_MASK_TOKENS = ["mask_application_tokens"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_application_tokens": {"()": "lms.admission.log_filters.MaskApplicationTokens"}
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": _MASK_TOKENS,
        },
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": _MASK_TOKENS,
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": _MASK_TOKENS},
        "django.security.csrf": {"filters": _MASK_TOKENS},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": _MASK_TOKENS,
        },
        # Wagtail 8 queues search-index and reference-index updates as django-tasks; one INFO
        # line per task drowns everything else.
        "django_tasks": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
