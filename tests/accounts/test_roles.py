"""The role groups exist in every database because a migration creates them."""

from __future__ import annotations

from django.contrib.auth.models import Group

from lms.accounts.roles import Role


def test_every_role_has_its_group(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_only_trainers_and_reviewers_may_enter_the_wagtail_admin_so_far(db):
    admin_groups = set(
        Group.objects.filter(permissions__codename="access_admin").values_list("name", flat=True)
    )
    assert {"Trainers", "Reviewers"} <= admin_groups
    assert not admin_groups & {"Collectors", "Firm managers"}


def test_users_are_identified_by_a_lowercased_email(db):
    from lms.accounts.models import User

    user = User.objects.create_user(
        "Mixed.Case@Example.COM", "x-Password-2026", legal_name="欧阳娜娜"
    )
    assert user.email == "mixed.case@example.com"
    assert str(user) == user.get_full_name() == "欧阳娜娜"
