"""Each settings module starts (or refuses to) as documented; production passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "kP3v9s-Qm1zX7wL0rT5yB8nC2dF6gH4jK9mN1pR3sU5vW7xY0zA2bC4dE6fG8hJ0"
# A test-only Ed25519 key (manage.py generate_signing_key): production refuses to run without one.
SIGNING_KEY = "z3u2Xcn5UvBPvGk7TX37YYR22VBbco7axCHn8R9DX1umj1s6"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ALLOWED_"))}
    clean.pop("DATABASE_URL", None)  # these checks need no database
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="lms.settings.production", ALLOWED_HOSTS="a.cn")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in the environment" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage(
        "check", DJANGO_SETTINGS_MODULE="lms.settings.production", DJANGO_SECRET_KEY=STRONG_KEY
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list the site's host names" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="lms.settings.production",
        DJANGO_SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="academy.example.cn",
        SITE_BASE_URL="https://academy.example.cn",
        EMAIL_HOST="smtp.example.cn",
        CERTIFICATE_SIGNING_KEY=SIGNING_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_malformed_broker_url_stops_start_up_with_a_clear_message():
    result = manage(
        "check", DJANGO_SETTINGS_MODULE="lms.settings.dev", CELERY_BROKER_URL="localhost:6379"
    )
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must" in result.stderr


def test_a_malformed_boolean_names_the_variable():
    result = manage("check", DJANGO_SETTINGS_MODULE="lms.settings.dev", DJANGO_DEBUG="sometimes")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def _development_setting(name: str, **env: str) -> str:
    clean_env = {"SITE_BASE_URL": "", "HOST": "", "PORT": "", **env}
    result = manage(
        "shell",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        DJANGO_SETTINGS_MODULE="lms.settings.dev",
        **clean_env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after shell's "N objects imported" note


def test_development_site_address_follows_the_port_make_run_serves_on():
    assert _development_setting("SITE_BASE_URL", PORT="8101") == "http://127.0.0.1:8101"
    assert _development_setting("WAGTAILADMIN_BASE_URL", PORT="8101") == "http://127.0.0.1:8101"


def test_development_site_address_defaults_to_port_8000_on_loopback():
    assert _development_setting("SITE_BASE_URL") == "http://127.0.0.1:8000"


def test_development_site_address_uses_a_named_host_but_not_a_wildcard_bind():
    assert _development_setting("SITE_BASE_URL", HOST="localhost", PORT="9000") == (
        "http://localhost:9000"
    )
    assert _development_setting("SITE_BASE_URL", HOST="0.0.0.0") == "http://127.0.0.1:8000"


def test_an_explicit_site_base_url_wins_over_host_and_port_in_development():
    assert (
        _development_setting("SITE_BASE_URL", PORT="8101", SITE_BASE_URL="https://a.example.cn")
        == "https://a.example.cn"
    )


def test_development_refuses_a_port_that_is_not_a_number():
    result = manage("check", DJANGO_SETTINGS_MODULE="lms.settings.dev", PORT="eighty")
    assert result.returncode != 0
    assert "PORT must be a whole number" in result.stderr


def test_development_prints_emails_readably_unless_an_smtp_host_is_set():
    assert _development_setting("MAILERS['default']['BACKEND']") == "lms.mail.EmailBackend"
    assert (
        _development_setting("MAILERS['default']['BACKEND']", EMAIL_HOST="smtp.example.cn")
        == "django.core.mail.backends.smtp.EmailBackend"
    )
