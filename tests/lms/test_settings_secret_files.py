"""Secrets can come from ``<NAME>_FILE`` (Docker/Kubernetes secrets) instead of the environment.

The helpers are tested directly, and the real settings loader in a subprocess: production
settings built from file secrets carry them, and still pass ``check --deploy``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.settings.env import env_secret, env_url

from .test_settings_modules import SIGNING_KEY, STRONG_KEY

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "lms" / "settings"

# Every secret the settings read, and where the value ends up.
SECRETS = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://academy:db-pa55word@db.internal:5432/sunshine",
    "CACHE_URL": "redis://:cache-pa55word@cache.internal:6379/1",
    "CELERY_BROKER_URL": "redis://:broker-pa55word@broker.internal:6379/0",
    "EMAIL_HOST_PASSWORD": "smtp-pa55word",
    "CERTIFICATE_SIGNING_KEY": SIGNING_KEY,
}
PRINT_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "DJANGO_SECRET_KEY": settings.SECRET_KEY,
    "DATABASE_PASSWORD": settings.DATABASES["default"]["PASSWORD"],
    "CACHE_URL": settings.CACHES["default"]["LOCATION"],
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "EMAIL_HOST_PASSWORD": settings.MAILERS["default"]["OPTIONS"]["password"],
    "CERTIFICATE_SIGNING_KEY": settings.CERTIFICATE_SIGNING_KEY,
}))
"""
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "lms.settings.production",
    "ALLOWED_HOSTS": "academy.example.cn",
    "SITE_BASE_URL": "https://academy.example.cn",
    "EMAIL_HOST": "smtp.example.cn",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``args`` under a clean environment: none of the secrets (or their files) leak in."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "ALLOWED_")) and key.removesuffix("_FILE") not in SECRETS
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def secret_files(tmp_path: Path) -> dict[str, str]:
    """Each secret written to its own file (with the final newline editors add)."""
    env = {}
    for name, value in SECRETS.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(path)
    return env


# --- The helpers -------------------------------------------------------------------------------


def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path, monkeypatch):
    path = tmp_path / "key"
    path.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.delenv("SOME_KEY", raising=False)
    monkeypatch.setenv("SOME_KEY_FILE", str(path))
    assert env_secret("SOME_KEY") == "s3cret"


def test_a_secret_still_comes_from_its_variable_without_a_file(monkeypatch):
    monkeypatch.delenv("SOME_KEY_FILE", raising=False)
    monkeypatch.setenv("SOME_KEY", "from-env")
    assert env_secret("SOME_KEY") == "from-env"
    monkeypatch.delenv("SOME_KEY")
    assert env_secret("SOME_KEY", "fallback") == "fallback"


def test_setting_both_the_variable_and_its_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "key"
    path.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("SOME_KEY", "from-env")
    monkeypatch.setenv("SOME_KEY_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match="Both SOME_KEY and SOME_KEY_FILE are set"):
        env_secret("SOME_KEY")


def test_an_unreadable_file_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("SOME_KEY", raising=False)
    monkeypatch.setenv("SOME_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOME_KEY_FILE: cannot read .*missing"):
        env_secret("SOME_KEY")
    monkeypatch.setenv("SOME_KEY_FILE", str(tmp_path))  # a directory
    with pytest.raises(ImproperlyConfigured, match="SOME_KEY_FILE: cannot read"):
        env_secret("SOME_KEY")


def test_an_empty_file_counts_as_unset(tmp_path, monkeypatch):
    path = tmp_path / "key"
    path.write_text("\n", encoding="utf-8")
    monkeypatch.delenv("SOME_KEY", raising=False)
    monkeypatch.setenv("SOME_KEY_FILE", str(path))
    assert env_secret("SOME_KEY", "fallback") == "fallback"
    with pytest.raises(ImproperlyConfigured, match="SOME_KEY must be set .*SOME_KEY_FILE"):
        env_secret("SOME_KEY", required=True)


def test_a_malformed_secret_url_is_refused_without_repeating_it(tmp_path, monkeypatch):
    path = tmp_path / "url"
    path.write_text("user:hunter2@broker:6379", encoding="utf-8")
    monkeypatch.delenv("SOME_URL", raising=False)
    monkeypatch.setenv("SOME_URL_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match="SOME_URL must") as caught:
        env_url("SOME_URL", schemes={"redis"}, secret=True)
    assert "hunter2" not in str(caught.value)


def test_settings_read_no_secret_with_the_plain_reader():
    """A guard for new settings: a secret-looking variable goes through env_secret."""
    secret_like = re.compile(r'env_(?:str|url)\(\s*"([A-Z_]*(?:KEY|PASSWORD|SECRET|TOKEN)[A-Z_]*)"')
    found = {
        name
        for module in SETTINGS_DIR.glob("*.py")
        for name in secret_like.findall(module.read_text(encoding="utf-8"))
    }
    assert found == set()


# --- The real settings loader ------------------------------------------------------------------


def test_production_settings_take_every_secret_from_files(tmp_path):
    result = run(["-c", PRINT_SETTINGS], **PRODUCTION, **secret_files(tmp_path))
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "DJANGO_SECRET_KEY": SECRETS["DJANGO_SECRET_KEY"],
        "DATABASE_PASSWORD": "db-pa55word",
        "CACHE_URL": SECRETS["CACHE_URL"],
        "CELERY_BROKER_URL": SECRETS["CELERY_BROKER_URL"],
        "EMAIL_HOST_PASSWORD": SECRETS["EMAIL_HOST_PASSWORD"],
        "CERTIFICATE_SIGNING_KEY": SECRETS["CERTIFICATE_SIGNING_KEY"],
    }


def test_production_with_file_secrets_passes_the_deployment_checklist(tmp_path):
    env = {
        key: value
        for key, value in secret_files(tmp_path).items()
        if key not in {"DATABASE_URL_FILE", "CACHE_URL_FILE", "CELERY_BROKER_URL_FILE"}
    }  # the checks need no database, cache or broker to reach
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_a_secret_set_twice(tmp_path):
    env = secret_files(tmp_path)
    result = run(["manage.py", "check"], **PRODUCTION, **env, DJANGO_SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "Both DJANGO_SECRET_KEY and DJANGO_SECRET_KEY_FILE are set" in result.stderr
    assert STRONG_KEY not in result.stderr


def test_production_names_a_secret_file_it_cannot_read(tmp_path):
    env = secret_files(tmp_path) | {"EMAIL_HOST_PASSWORD_FILE": str(tmp_path / "nope")}
    result = run(["manage.py", "check"], **PRODUCTION, **env)
    assert result.returncode != 0
    assert "EMAIL_HOST_PASSWORD_FILE: cannot read" in result.stderr
