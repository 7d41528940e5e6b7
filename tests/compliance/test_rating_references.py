"""Ratings' references to users and firms carry no database constraint (a third of the database's
cost of the nightly recompute went on checking them): Django keeps them whole instead, and the
full recompute drops a rating whose user was deleted behind Django's back."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.accounts.models import User
from lms.compliance import recompute
from lms.compliance.models import CollectorRating, RatingSnapshot
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def rated_collector(firm) -> User:
    """A collector of ``firm`` rated by a full recompute (no certificate: a user with one can't
    be deleted, certificates protect their holder)."""
    collector = MembershipFactory(firm=firm).user
    recompute.full()
    assert CollectorRating.objects.filter(user=collector, firm=firm).exists()
    return collector


def test_deleting_a_user_deletes_their_rating_and_its_history(firm):
    collector = rated_collector(firm)
    other = rated_collector(firm)
    assert RatingSnapshot.objects.filter(user=collector).exists()

    collector.delete()

    assert not CollectorRating.objects.filter(user_id=collector.pk).exists()
    assert not RatingSnapshot.objects.filter(user_id=collector.pk).exists()
    assert CollectorRating.objects.filter(user=other).exists()


def test_deleting_a_firm_leaves_the_ratings_that_name_it_without_a_firm(firm):
    collector = rated_collector(firm)
    gone = FirmFactory(name="已注销公司")  # no membership left, so Django lets it go
    CollectorRating.objects.filter(user=collector).update(firm=gone)

    gone.delete()

    assert CollectorRating.objects.get(user=collector).firm_id is None


def test_the_full_recompute_drops_a_rating_whose_user_was_deleted_in_sql(firm):
    collector = rated_collector(firm)
    # Rated, with nothing else pointing at the user (so plain SQL may delete it).
    loner = User.objects.create_user(email="loner@example.com", legal_name="孤零零")
    CollectorRating.objects.create(user=loner, score=50, grade="D", formula_version="x")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [loner.pk])

    outcome = recompute.full()

    assert not CollectorRating.objects.filter(user_id=loner.pk).exists()
    assert CollectorRating.objects.filter(user=collector).exists()
    assert (outcome.changed, outcome.refreshed) == (0, 0)  # nobody else was touched
    assert recompute.full().skipped == 1  # the collector; the loner is gone for good


def test_the_index_rows_refer_to_their_event_without_a_constraint():
    """What the migrations left: no foreign-key constraint on the rating tables' user and firm
    columns nor on the audit index rows' event column (the other references keep theirs)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints
        for table, column in [
            ("compliance_collectorrating", "user_id"),
            ("compliance_collectorrating", "firm_id"),
            ("compliance_ratingsnapshot", "user_id"),
            ("auditlog_eventperson", "event_id"),
            ("auditlog_eventfirm", "event_id"),
        ]:
            found = constraints(cursor, table)
            assert not [
                name
                for name, info in found.items()
                if info["foreign_key"] and info["columns"] == [column]
            ], (table, column)
        kept = constraints(cursor, "compliance_firmrating")
        assert any(info["foreign_key"] for info in kept.values())
