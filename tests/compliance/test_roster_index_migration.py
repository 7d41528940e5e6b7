"""The roster index migration (0010) rebuilds an index a failed concurrent build left INVALID,
instead of keeping it because it exists (PostgreSQL only)."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from tests.conftest import require_service

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VALIDITY = (
    "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE c.relname = 'rating_roster_idx'"
)


def is_valid() -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute(VALIDITY)
        row = cursor.fetchone()
    return None if row is None else row[0]


def test_an_invalid_index_left_by_a_failed_build_is_rebuilt():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "the roster index exists on PostgreSQL only")
    migration = import_module("lms.compliance.migrations.0010_collectorrating_roster_index")
    assert is_valid() is True  # built by the test database's migrations
    # What a cancelled CREATE INDEX CONCURRENTLY leaves behind (needs a superuser).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false "
            "WHERE indexrelid = 'rating_roster_idx'::regclass"
        )
    assert is_valid() is False
    with connection.schema_editor(atomic=False) as editor:
        migration.create(apps, editor)
    assert is_valid() is True
    # And a rerun with a valid index changes nothing.
    with connection.schema_editor(atomic=False) as editor:
        migration.create(apps, editor)
    assert is_valid() is True
