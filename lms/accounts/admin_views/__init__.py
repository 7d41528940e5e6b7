"""Partner firms in the Wagtail admin, under one 合作机构 (Partner firms) menu.

* Firms: superusers add and edit them (name, credit code, kind). The admission status is not a
  form field: it changes only through "Change status", which asks for the new status and a
  reason and calls ``Firm.change_status``; the inspect and edit pages list every decision with
  who, when and why. Auditors may look (view permission, migration 0004).
* Contracts: which lender hires which agency, from when to when (the model checks the kinds and
  the dates).
* Memberships: who works where. Adding a membership for someone still with another firm moves
  them (``onboarding.memberships.move``): the old membership ends the day before, in the same
  transaction. Memberships are history, so they can be ended (edit: "active to") but not
  deleted here.

Firm managers have no admin access: they onboard their staff on the front end (/firm/staff/).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSetGroup

from .contracts import ContractViewSet
from .firms import FirmViewSet
from .memberships import MembershipViewSet


class FirmsViewSetGroup(ModelViewSetGroup):
    """合作机构: firms, contracts and memberships, together in the admin menu."""

    menu_icon = "group"
    menu_label = _("Partner firms")
    menu_name = "partner-firms"
    menu_order = 250
    items = (FirmViewSet, ContractViewSet, MembershipViewSet)
