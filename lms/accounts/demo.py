"""Demo accounts, one per role, for local development and user testing.

Used by ``manage.py seed_demo``; never run against production data (the command refuses
without DEBUG unless forced).
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import transaction

from lms.lib.demo import DemoReport

from .models import User
from .roles import Role, requires_mfa
from .site import ensure_site, site_domain

DEMO_PASSWORD = "Sunshine-Demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    legal_name: str
    role: Role | None
    superuser: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("collector@demo.test", "张三", Role.COLLECTOR),
    DemoAccount("collector2@demo.test", "王五", Role.COLLECTOR),
    # Halfway through the courses (lms.compliance.demo_roster): shows the exam's prerequisites.
    DemoAccount("collector3@demo.test", "蒋九", Role.COLLECTOR),
    DemoAccount("manager@demo.test", "李四", Role.FIRM_MANAGER),
    DemoAccount("lender@demo.test", "钱八", Role.FIRM_MANAGER),
    DemoAccount("trainer@demo.test", "王芳", Role.TRAINER),
    DemoAccount("reviewer@demo.test", "赵敏", Role.REVIEWER),
    DemoAccount("auditor@demo.test", "孙立", Role.AUDITOR),
    # Two admission reviewers: a ban or a blocker override needs a second person.
    DemoAccount("admission@demo.test", "吴敬", Role.ADMISSION_REVIEWER),
    DemoAccount("admission2@demo.test", "郑洁", Role.ADMISSION_REVIEWER),
    DemoAccount("admin@demo.test", "周强", None, superuser=True),
)


@transaction.atomic
def ensure_demo_account(spec: DemoAccount) -> tuple[User, list[str]]:
    """Create or complete one demo account; returns the user and what was created."""
    created: list[str] = []
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User(email=spec.email, legal_name=spec.legal_name)
        user.is_staff = user.is_superuser = spec.superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        created.append("user")
    if not EmailAddress.objects.filter(user=user, email=spec.email, verified=True).exists():
        EmailAddress.objects.update_or_create(
            user=user, email=spec.email, defaults={"verified": True, "primary": True}
        )
        created.append("verified email")
    if spec.role and not user.groups.filter(name=spec.role).exists():
        user.groups.add(Group.objects.get(name=spec.role))
        created.append(f"role {spec.role}")
    if (
        requires_mfa(user)
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, generate_totp_secret())
        created.append("TOTP authenticator")
    return user, created


# seed_demo steps (registered in AccountsConfig.ready).


def seed_site(report: DemoReport) -> None:
    """Name the Site after the product, at the address this process serves."""
    if ensure_site():
        # make run calls seed_demo on every start: a new PORT reaches allauth's emails.
        report.line(f"site: named 阳光学堂 at {site_domain()}", created=1)


def seed_accounts(report: DemoReport) -> None:
    """One verified account per role."""
    for spec in DEMO_ACCOUNTS:
        _, created = ensure_demo_account(spec)
        if created:
            report.line(f"{spec.email}: created {', '.join(created)}", created=len(created))
        else:
            report.line(f"{spec.email}: already present")
