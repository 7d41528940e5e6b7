"""The live server that the browser journeys talk to behaves like the real site under parallel use.

A browser sends requests in parallel (Wagtail's page explorer, a double-tapped button). With an
in-memory SQLite test database, Django hands the test thread's single connection to every
server thread, and Python's sqlite3 module is not safe for that: a session lookup could come back
empty (the user is sent to the login page and the session cookie is deleted), come back with
another user's row, or fail with "bad parameter or other API misuse". tests/conftest.py therefore
gives SQLite runs a file-backed test database, in which each server thread opens a connection of
its own, as production's processes do.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from lms.accounts.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS_PER_USER = 3
REQUESTS_PER_THREAD = 8


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect (to the login page) instead of following it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_live_server_threads_open_their_own_database_connections(live_server) -> None:
    assert live_server.thread.connections_override == {}


def test_on_sqlite_the_test_database_is_a_wal_file_of_this_run_under_var() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite runs use a file of their own; PostgreSQL has test_<name>")
    path = Path(connection.settings_dict["NAME"])
    assert path.is_file()
    assert path.parent.parent == settings.VAR_DIR
    assert path.parent.name.startswith("test-db-")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_parallel_requests_of_two_signed_in_users_each_see_their_own_session(live_server) -> None:
    users = [
        make_user("zhang.parallel@example.com", "张三"),
        make_user("li.parallel@example.com", "李四"),
    ]
    cookies = {user.email: _session_cookie(user) for user in users}
    url = live_server.url + "/learning/my/"
    opener = urllib.request.build_opener(_NoRedirects)
    problems: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS_PER_USER * len(users))

    def browse(email: str) -> None:
        other = next(user.email for user in users if user.email != email)
        barrier.wait()
        for _ in range(REQUESTS_PER_THREAD):
            request = urllib.request.Request(url, headers={"Cookie": cookies[email]})
            try:
                with opener.open(request, timeout=60) as response:
                    page = response.read().decode()
                    problem = (
                        f"{email} was served {other}'s page"
                        if other in page
                        else None
                        if email in page
                        else f"{email} was not recognised"
                    )
            except urllib.error.HTTPError as error:
                problem = f"{email} got {error.code} {error.headers.get('Location', '')}"
            if problem:
                with lock:
                    problems.append(problem)

    threads = [
        threading.Thread(target=browse, args=(user.email,))
        for user in users
        for _ in range(THREADS_PER_USER)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert problems == []
