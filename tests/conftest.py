"""Shared fixtures: named personas, one per role, as the conventions ask."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.test.client import ClientMixin

from lms.accounts.models import User
from lms.accounts.roles import Role
from lms.auditlog import triggers as audit_triggers

PASSWORD = "Correct-Horse-2026"


def _flush_through_audit_triggers(operations_class: type) -> None:
    """Let a transactional test's flush empty the audit log, whose triggers refuse it.

    The flush is the one legitimate way to empty the log (a test database between tests): it
    drops the append-only triggers, truncates, and installs them again, in one transaction.
    """
    original = operations_class.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not set(tables) & set(audit_triggers.TABLES):
            return statements
        vendor = self.connection.vendor
        return [
            *audit_triggers.drop_statements(vendor),
            *statements,
            *audit_triggers.install_statements(vendor),
        ]

    operations_class.sql_flush = sql_flush


def _patch_flush() -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

    for wrapper in (PostgreSQLWrapper, SQLiteWrapper):
        _flush_through_audit_triggers(wrapper.ops_class)


_patch_flush()


def require_service(name: str, reason: str) -> None:
    """Skip a test that needs an external service, or fail it where CI promises the service."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is required here (REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def make_user(email: str, legal_name: str, role: Role | None = None, **extra: object) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, legal_name=legal_name, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def collector(db) -> User:
    return make_user("collector@example.com", "张三", Role.COLLECTOR)


@pytest.fixture
def other_collector(db) -> User:
    return make_user("other.collector@example.com", "李四", Role.COLLECTOR)


@pytest.fixture
def manager(db) -> User:
    return make_user("manager@example.com", "王经理", Role.FIRM_MANAGER)


@pytest.fixture
def trainer(db) -> User:
    return make_user("trainer@example.com", "陈老师", Role.TRAINER)


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer@example.com", "刘审核", Role.REVIEWER)


@pytest.fixture
def auditor(db) -> User:
    return make_user("auditor@example.com", "孙稽核", Role.AUDITOR)


@pytest.fixture
def admission_reviewer(db) -> User:
    return make_user("admission@example.com", "吴审核", Role.ADMISSION_REVIEWER)


@pytest.fixture
def second_admission_reviewer(db) -> User:
    """The second person of the two-person rule (a ban, or an admission despite a blocker)."""
    return make_user("admission2@example.com", "郑复核", Role.ADMISSION_REVIEWER)


@pytest.fixture
def admin_user(db) -> User:
    user = User.objects.create_superuser(
        email="admin@example.com", password=PASSWORD, legal_name="周管理"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's rate limits live in the cache; no test may inherit another's counters."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
) -> Iterator[None]:
    """On SQLite, the test database is a file of this run's own under var/, not memory.

    With an in-memory test database Django hands the test thread's one connection to every
    thread of the live server, so the browser's parallel requests (Wagtail's page explorer,
    images, the dashboard's panels) share one sqlite3 connection and one transaction state: a
    query can fail with "bad parameter or other API misuse", and one request's transaction can
    swallow or roll back another's writes, such as the session row a sign-in just created, so
    the user is sent back to the login page. In a file, each server thread opens a connection of
    its own, exactly as the web processes of the embedded default do (WAL, IMMEDIATE writers;
    see ``SQLITE_OPTIONS``). The folder is unique to this run (and xdist worker) and removed at
    the end, with SQLite's -wal and -shm files.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="test-db-", dir=settings.VAR_DIR))
    database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its user's language for the whole thread (LanguageMiddleware, like
    Django's LocaleMiddleware, never deactivates it): no test may inherit another's."""
    from django.utils import translation

    yield
    translation.deactivate()


def totp_code(user: User, *, margin: float = 5.0) -> str:
    """The current code of the user's TOTP authenticator, as their phone app would show it.

    allauth accepts a code only in its own 30-second period (no tolerance is configured). When
    the period ends within ``margin`` seconds this waits for the next one, as a person would,
    so that a slow request on a loaded CI machine cannot carry the code past its period.
    """
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < margin:
        time.sleep(left + 0.1)
    counter = list(yield_hotp_counters_from_time())[0]
    return format_hotp_value(hotp_value(secret, counter))


def activate_totp(user: User) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())


def signed_in(client, user: User):
    """The client logged in as a staff member who has set up TOTP and entered a code at sign-in
    (as the MFA rule requires)."""
    activate_totp(user)
    client.force_login(user)  # records the password and TOTP steps: see below
    return client


# Django's force_login() as Django ships it: a session made by login() alone, with nothing of
# allauth's in it (what Wagtail's /_util/login/ used to hand out).
_django_force_login = ClientMixin.force_login


def django_login_only(client, user: User) -> None:
    """Logs the client in with Django's login() alone: no allauth record, no second factor."""
    _django_force_login(client, user)


def record_allauth_sign_in(client, user: User) -> None:
    """Records in the client's session what allauth records when ``user`` signs in on its
    form: the password step and, if they have set up TOTP, the code step."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    request = HttpRequest()
    request.session = client.session  # a fresh SessionStore on each access: keep this one
    record_authentication(request, user, "password", email=user.email)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)
    request.session.save()


@pytest.fixture(autouse=True)
def _force_login_signs_in_through_allauth(monkeypatch):
    """In these tests ``client.force_login(user)`` stands for a complete sign-in on allauth's
    form: password, then the TOTP code if the user has an authenticator (so activate TOTP
    first). Staff sessions without allauth's record count as signed out
    (lms.accounts.sign_in); tests about half-finished sign-ins build them through allauth's
    real form, or with ``django_login_only``."""

    def force_login(self, user, backend=None):
        _django_force_login(self, user, backend)
        record_allauth_sign_in(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def wagtail_asserts(client):
    """Wagtail's page-type assertions (``assertCanCreate``, ``assertPageIsRenderable``,
    ``assertAllowedSubpageTypes``...) for plain pytest functions, as ``pytest_django.asserts``
    offers Django's: a ``WagtailPageTestCase`` that runs no test of its own and drives this
    test's ``client``."""
    from wagtail.coreutils import get_dummy_request
    from wagtail.test.utils import WagtailPageTestCase

    case = WagtailPageTestCase("run")
    case.client = client
    case.dummy_request = get_dummy_request()
    return case
