"""factory-boy factories for the firms, people and memberships most tests start from.

Why one set: the compliance tests had grown three ``make_firm`` builders (each with its own
counter, credit-code prefix and signature) and as many membership builders. Factories give one
sequence, so no two firms of a test share a credit code, declared defaults, and keyword
overrides at the call site: ``FirmFactory(name="阳光资产", kind=FirmKind.LENDER)``,
``MembershipFactory(firm=firm, user=collector, role=MembershipRole.MANAGER)``.

Credit codes are real GB 32100-2015 codes: 17 characters and the check character computed by
python-stdnum, so every firm passes the same validation the admin applies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory
from stdnum.cn import uscc

from lms.accounts.models import Firm, FirmKind, FirmStatus, Membership, MembershipRole, User
from lms.accounts.roles import Role
from tests.conftest import make_user


def credit_code(number: int, *, region: str = "110000") -> str:
    """A valid unified social credit code: 91 (enterprise), ``region``, an organisation code
    made from ``number``, then the check character."""
    stem = f"91{region}{number:09d}"
    return stem + uscc.calc_check_digit(stem)


class FirmFactory(DjangoModelFactory):
    """An admitted debt-collection agency with a valid credit code of its own.

    The factory's codes use region 310000, so the codes a test builds by hand with
    ``credit_code(n)`` (region 110000) never collide with them."""

    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"测试机构{n}")
    credit_code = factory.Sequence(lambda n: credit_code(n, region="310000"))
    kind = FirmKind.AGENCY
    status = FirmStatus.ADMITTED


class UserFactory(DjangoModelFactory):
    """A person who can sign in: the conftest personas' ``make_user`` (password, verified
    primary email), with ``role`` naming the Wagtail group to join, if any."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    legal_name = factory.Sequence(lambda n: f"成员{n}")
    role: Role | None = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return make_user(kwargs.pop("email"), kwargs.pop("legal_name"), **kwargs)


class MembershipFactory(DjangoModelFactory):
    """An active membership (since thirty days ago) as onboarding leaves it: the person is
    also in the Wagtail group of the membership's role (collectors, or firm managers)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    firm = factory.SubFactory(FirmFactory)
    role = MembershipRole.COLLECTOR
    employee_number = ""
    active_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))

    @classmethod
    def _create(cls, model_class: type[Membership], *args: Any, **kwargs: Any) -> Membership:
        # The group first: the membership's post_save queues a rating recompute for a person
        # who is already a collector, as onboarding would leave them.
        collector = kwargs["role"] == MembershipRole.COLLECTOR
        group = Role.COLLECTOR if collector else Role.FIRM_MANAGER
        kwargs["user"].groups.add(Group.objects.get(name=group))
        return super()._create(model_class, *args, **kwargs)


def make_session(
    *,
    event: Any = None,
    start: Any = None,
    hours: float = 3,
    capacity: int = 30,
    **fields: Any,
) -> Any:
    """A live event page (a salon unless ``event`` is given) with one in-person session.

    ``start`` defaults to a week from now; the event spans the session. Extra ``fields`` go to
    the session (``mode``, ``requires_approval``, ``registration_opens``, ``cpd_hours`` ...).
    """
    import datetime

    from django.utils import timezone

    from content.models import EventKind, EventSession
    from tests.content.test_events import make_event, make_index

    start = start or (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0)
    end = start + datetime.timedelta(hours=hours)
    if event is None:
        number = EventSession.objects.count() + 1
        event = make_event(
            make_index(),
            f"合规催收沙龙 {number}",
            start,
            end,
            slug=f"salon-{number}",
            kind=EventKind.SALON,
        )
    fields.setdefault("venue", "国际会议中心 3 楼")
    return EventSession.objects.create(
        page=event, start=start, end=end, capacity=capacity, **fields
    )
