"""OBJECT_STORAGE_*: production with object storage passes the deployment checklist, a half
configuration stops start-up with a message naming what is missing, and the pages' CSP lets
images and media come from the bucket (and only then)."""

from __future__ import annotations

import json

import pytest

from tests.lms.test_settings_modules import SIGNING_KEY, STRONG_KEY, manage

STORAGE = {
    "OBJECT_STORAGE_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com",
    "OBJECT_STORAGE_REGION": "cn-hangzhou",
    "OBJECT_STORAGE_ACCESS_KEY_ID": "LTAI-test",
    "OBJECT_STORAGE_SECRET_ACCESS_KEY": "test-secret",
    "OBJECT_STORAGE_MEDIA_BUCKET": "academy-media",
    "OBJECT_STORAGE_PRIVATE_BUCKET": "academy-private",
}
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "lms.settings.production",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "academy.example.cn",
    "SITE_BASE_URL": "https://academy.example.cn",
    "EMAIL_HOST": "smtp.example.cn",
    "CERTIFICATE_SIGNING_KEY": SIGNING_KEY,
}
UNSET = dict.fromkeys(STORAGE, "") | {"OBJECT_STORAGE_MEDIA_DOMAIN": ""}


def setting(expression: str, **env: str) -> object:
    result = manage(
        "shell",
        "-c",
        f"import json; from django.conf import settings; print(json.dumps({expression}))",
        **PRODUCTION,
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_with_object_storage_passes_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **STORAGE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_with_object_storage_uses_two_private_buckets():
    storages = setting("settings.STORAGES", **STORAGE)
    assert isinstance(storages, dict)
    media, private = storages["default"], storages["private"]
    assert media["BACKEND"] == private["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (media["OPTIONS"]["bucket_name"], private["OPTIONS"]["bucket_name"]) == (
        "academy-media",
        "academy-private",
    )
    assert media["OPTIONS"]["default_acl"] is private["OPTIONS"]["default_acl"] is None
    assert private["OPTIONS"]["querystring_expire"] == 60


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {**STORAGE, "OBJECT_STORAGE_PRIVATE_BUCKET": ""},
            "Set both OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET",
        ),
        (
            {**STORAGE, "OBJECT_STORAGE_MEDIA_BUCKET": "", "OBJECT_STORAGE_PRIVATE_BUCKET": ""},
            "OBJECT_STORAGE_REGION, OBJECT_STORAGE_SECRET_ACCESS_KEY set but "
            "OBJECT_STORAGE_MEDIA_BUCKET and OBJECT_STORAGE_PRIVATE_BUCKET are not",
        ),
        (
            {**STORAGE, "OBJECT_STORAGE_SECRET_ACCESS_KEY": ""},
            "Set both OBJECT_STORAGE_ACCESS_KEY_ID and OBJECT_STORAGE_SECRET_ACCESS_KEY",
        ),
        (
            {**STORAGE, "OBJECT_STORAGE_PRIVATE_BUCKET": "academy-media"},
            "must differ",
        ),
        (
            {**STORAGE, "OBJECT_STORAGE_ENDPOINT_URL": "oss-cn-hangzhou.aliyuncs.com"},
            "OBJECT_STORAGE_ENDPOINT_URL must be an http(s) URL",
        ),
        ({**STORAGE, "PRIVATE_FILES_DELIVERY": "email"}, "PRIVATE_FILES_DELIVERY must be one of"),
        ({**STORAGE, "PRIVATE_URL_EXPIRY": "86400"}, "PRIVATE_URL_EXPIRY must be 1 to 3600"),
        (
            {**STORAGE, "OBJECT_STORAGE_MEDIA_URL_EXPIRY": "604801"},
            "OBJECT_STORAGE_MEDIA_URL_EXPIRY must be 1 to 604800 seconds",
        ),
        (
            {**STORAGE, "OBJECT_STORAGE_MEDIA_URL_EXPIRY": "0"},
            "OBJECT_STORAGE_MEDIA_URL_EXPIRY must be 1 to 604800 seconds",
        ),
    ],
)
def test_a_half_configured_object_storage_stops_start_up_with_a_clear_message(env, message):
    result = manage("check", **PRODUCTION, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_csp_lets_pages_show_images_and_media_from_the_bucket_only_when_configured():
    assert setting("settings.SECURE_CSP['img-src']", **UNSET) == ["'self'"]
    origin = "https://oss-cn-hangzhou.aliyuncs.com"
    for policy in ("SECURE_CSP['img-src']", "SECURE_CSP['media-src']"):
        assert setting(f"settings.{policy}", **STORAGE) == ["'self'", origin]
    admin = setting("settings.SECURE_CSP_ADMIN['img-src']", **STORAGE)
    assert isinstance(admin, list) and origin in admin
    virtual = setting(
        "settings.SECURE_CSP['img-src']", **STORAGE, OBJECT_STORAGE_ADDRESSING_STYLE="virtual"
    )
    assert virtual == ["'self'", "https://academy-media.oss-cn-hangzhou.aliyuncs.com"]
    cdn = setting(
        "settings.SECURE_CSP['img-src']", **STORAGE, OBJECT_STORAGE_MEDIA_DOMAIN="img.example.cn"
    )
    assert cdn == ["'self'", "https://img.example.cn"]
