"""The CPD ledger in the admin (issue 15): trainers list and adjust, with a reason and as
themselves; nobody edits or deletes an entry; collectors and managers are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from courses.models import CPDEntry, CPDSource
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
INDEX = "/admin/cpd-hours/"
ADD = "/admin/cpd-hours/new/"


def form(collector, **fields):
    data = {
        "user": collector.email,
        "hours": "3",
        "offline": "on",
        "earned_on": timezone.localdate().isoformat(),
        "reason": "外部峰会证明已核实",
    }
    data.update(fields)
    return data


def test_a_trainer_adds_an_adjustment_recorded_as_themselves(client, trainer, collector):
    signed_in(client, trainer)

    assert client.get(ADD).status_code == 200
    response = client.post(ADD, form(collector))

    assert response.status_code == 302
    entry = CPDEntry.objects.get()
    assert (entry.user, entry.hours, entry.offline) == (collector, Decimal("3.00"), True)
    assert (entry.source, entry.created_by) == (CPDSource.ADJUSTMENT, trainer)
    listing = client.get(INDEX, {"q": collector.email})
    assert listing.status_code == 200
    assert "外部峰会证明已核实" in listing.text


def test_an_adjustment_without_a_reason_or_below_the_balance_is_refused(client, trainer, collector):
    signed_in(client, trainer)

    response = client.post(ADD, form(collector, reason=""))
    assert response.status_code == 200
    response = client.post(ADD, form(collector, hours="-2"))
    assert response.status_code == 200
    assert "扣减只能收回已记入的学时" in response.text
    response = client.post(ADD, form(collector, user="nobody@example.com"))
    assert response.status_code == 200
    assert not CPDEntry.objects.exists()


def test_there_is_no_edit_or_delete_route(client, trainer, collector):
    entry = CPDEntry.objects.create(
        user=collector,
        source=CPDSource.ADJUSTMENT,
        hours=Decimal(2),
        earned_on=timezone.localdate(),
        reason="测试",
        created_by=trainer,
    )
    for name in ("edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"cpd_hours:{name}", args=[entry.pk])
    signed_in(client, trainer)
    assert client.get(f"/admin/cpd-hours/inspect/{entry.pk}/").status_code == 200
    assert client.post(f"/admin/cpd-hours/edit/{entry.pk}/", {"hours": 9}).status_code == 404
    assert client.post(f"/admin/cpd-hours/delete/{entry.pk}/").status_code == 404
    entry.refresh_from_db()
    assert entry.hours == Decimal(2)


@pytest.mark.parametrize("role", ["collector", "manager", "reviewer"])
def test_other_roles_are_refused(client, request, role, collector):
    user = request.getfixturevalue(role)
    signed_in(client, user)

    for url in (INDEX, ADD):
        response = client.get(url)
        assert response.status_code in (302, 403)
    client.post(ADD, form(collector))
    assert not CPDEntry.objects.exists()


def test_a_superuser_may_adjust(client, admin_user, collector):
    signed_in(client, admin_user)

    assert client.post(ADD, form(collector)).status_code == 302
    assert CPDEntry.objects.get().created_by == admin_user
