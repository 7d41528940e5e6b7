"""The environment readers fail loudly and clearly on bad values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.settings.env import env_bool, env_int, env_list, env_str, env_url


def test_env_bool_reads_common_spellings(monkeypatch):
    for raw, expected in [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_env_bool_uses_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "")
    assert env_bool("FLAG", False) is False


def test_env_bool_rejects_garbage_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean.*'maybe'"):
        env_bool("FLAG", False)


def test_env_int_rejects_non_numbers(monkeypatch):
    monkeypatch.setenv("PORT_X", "eighty")
    with pytest.raises(ImproperlyConfigured, match="PORT_X must be a whole number"):
        env_int("PORT_X", 80)
    monkeypatch.setenv("PORT_X", "8080")
    assert env_int("PORT_X", 80) == 8080


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example,")
    assert env_list("HOSTS") == ["a.example", "b.example"]


def test_required_string_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("MUST_HAVE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MUST_HAVE must be set"):
        env_str("MUST_HAVE", required=True)


def test_env_url_checks_scheme_and_shape(monkeypatch):
    monkeypatch.setenv("BASE", "https://academy.example.cn/")
    assert env_url("BASE", schemes={"http", "https"}) == "https://academy.example.cn"
    monkeypatch.setenv("BASE", "academy.example.cn")
    with pytest.raises(ImproperlyConfigured, match="BASE must be a URL"):
        env_url("BASE")
    monkeypatch.setenv("BROKER", "http://localhost:6379/0")
    with pytest.raises(ImproperlyConfigured, match="BROKER must use one of: amqp, redis"):
        env_url("BROKER", schemes={"redis", "amqp"})
