"""seed_demo: idempotent demo data, one working account per role, never by accident."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from lms.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from lms.accounts.models import User


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()
    assert not User.objects.exists()


def test_it_creates_one_account_per_role_and_a_second_run_creates_nothing(db):
    first = seed("--force")
    assert "admin@demo.test: created user" in first
    counts = (User.objects.count(), Group.objects.count())
    second = seed("--force")
    assert "seed_demo: nothing to do" in second
    assert (User.objects.count(), Group.objects.count()) == counts == (6, counts[1])
    roles = {u.email: list(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert roles["collector@demo.test"] == ["Collectors"]
    assert roles["manager@demo.test"] == ["Firm managers"]
    assert roles["trainer@demo.test"] == ["Trainers"]
    assert roles["reviewer@demo.test"] == ["Reviewers"]
    assert roles["auditor@demo.test"] == ["Auditors"]
    assert User.objects.get(email="admin@demo.test").is_superuser


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_every_demo_account_can_log_in(client, db, settings, account):
    seed("--force")
    response = client.post("/accounts/login/", {"login": account.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    if account.role in {"Trainers", "Reviewers", "Auditors"} or account.superuser:
        # Staff accounts come with TOTP set up; their second step is the code.
        assert response["Location"] == "/accounts/2fa/authenticate/"
    else:
        assert response["Location"] == "/"
        assert client.get("/").status_code == 200
