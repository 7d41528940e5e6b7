"""The rendered text of every email the product sends, in Chinese and English.

Each is produced through the path that really sends it (allauth's views, or the module that
composes it) and read as a recipient would: the product's name where a name belongs (never
"来自的" / "Hello from !"), no template syntax left over, the recipient's language, and links
on the public address.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from exams.certificates import emails as certificate_emails
from lms.accounts.models import User
from lms.accounts.onboarding import invitations
from lms.compliance import findings, monthly_report
from tests.compliance.factories import make_finding
from tests.conftest import make_user
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

BASE = settings.SITE_BASE_URL.rstrip("/")
HOST = BASE.split("://", 1)[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
BROKEN = ["来自的", "Hello from !", "在  上", "感谢您使用 ！", "Thank you for using !"]
BROKEN += ["{{", "{%", "%("]  # template syntax left over
LANGUAGES = ["zh-hans", "en"]


def check(subject: str, body: str, language: str) -> None:
    text = subject + "\n" + body
    for broken in BROKEN:
        assert broken not in text, f"{broken!r} in:\n{text}"
    assert subject.strip() and body.strip()
    for link in re.findall(r"https?://\S+", body):
        assert link.startswith(BASE + "/"), f"{link} is not on {BASE}"
    if language == "zh-hans":
        assert CJK.search(subject), subject
        assert "阳光学堂" in text
        assert not re.search(r"\b(Hello|Dear|Thank you|Your)\b", text), text
    else:
        assert re.search(r"\b(Hello|Dear|Your|You|Sunshine Academy)\b", text), text
        assert "您" not in text, text


def last_mail():
    assert mail.outbox, "no email was sent"
    message = mail.outbox[-1]
    return message.subject, message.body


@pytest.fixture
def site_client(client):
    """A browser on the public address, in the language the test sets with its cookie."""
    client.defaults["HTTP_HOST"] = HOST
    return client


def use_language(client, language: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


# --- allauth's emails -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_signup_confirmation_email(site_client, language, django_capture_on_commit_callbacks):
    use_language(site_client, language)
    with django_capture_on_commit_callbacks(execute=True):
        site_client.post(
            "/accounts/signup/",
            {
                "email": "new@example.com",
                "legal_name": "王小明",
                "password1": "Sunshine-Test-2026!",
                "password2": "Sunshine-Test-2026!",
            },
        )
    subject, body = last_mail()
    check(subject, body, language)
    assert "/accounts/confirm-email/" in body
    if language == "zh-hans":
        assert body.startswith("您好，这里是阳光学堂！")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_account_already_exists_email(
    site_client, collector, language, django_capture_on_commit_callbacks
):
    use_language(site_client, language)
    with django_capture_on_commit_callbacks(execute=True):
        site_client.post(
            "/accounts/signup/",
            {
                "email": collector.email,
                "legal_name": "张三",
                "password1": "Sunshine-Test-2026!",
                "password2": "Sunshine-Test-2026!",
            },
        )
    check(*last_mail(), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_password_reset_email(
    site_client, collector, language, django_capture_on_commit_callbacks
):
    use_language(site_client, language)
    with django_capture_on_commit_callbacks(execute=True):
        site_client.post("/accounts/password/reset/", {"email": collector.email})
    subject, body = last_mail()
    check(subject, body, language)
    assert "/accounts/password/reset/key/" in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_unknown_account_email(site_client, db, language, django_capture_on_commit_callbacks):
    use_language(site_client, language)
    with django_capture_on_commit_callbacks(execute=True):
        site_client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    check(*last_mail(), language)


# --- Ours ---------------------------------------------------------------------------------------


def person(language: str) -> User:
    return make_user(f"{language}@example.com", "赵六", preferred_language=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invitation_email(language, django_capture_on_commit_callbacks):
    invitee = person(language)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite(FirmFactory(name="晴川资产"), email=invitee.email, by=None)
    subject, body = last_mail()
    check(subject, body, language)
    assert "/firm/staff/invitations/" in body


@pytest.fixture
def certificate_of(monkeypatch):
    use_fast_pdf(monkeypatch)
    programme = make_programme().programme

    def issue(language: str):
        return issue_certificate(person(language), programme)

    return issue


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_certificate_emails(certificate_of, language):
    certificate = certificate_of(language)
    issued = certificate_emails.issued_certificate(certificate)
    check(issued.subject, issued.body, language)
    reminder = certificate_emails.expiry_reminder(
        certificate, certificate.holder, 30, certificate.expires_at - timezone.timedelta(days=30)
    )
    check(reminder["subject"], reminder["body"], language)
    certificate.revoked_at = timezone.now()
    revoked = certificate_emails.revocation_notice(certificate)
    check(revoked["subject"], revoked["body"], language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_finding_confirmed_email(auditor, language, django_capture_on_commit_callbacks):
    collector = person(language)
    finding = make_finding(collector, by=auditor)
    with django_capture_on_commit_callbacks(execute=True):
        findings.confirm(finding, by=auditor, note="录音证实。")
    check(*last_mail(), language)


def test_the_monthly_report_email_in_the_sites_language(manager):
    firm = FirmFactory(name="晴川资产")
    MembershipFactory(firm=firm, role="manager", user=manager)
    report = monthly_report.build(firm, monthly_report.previous_month())
    message = monthly_report.email(report, b"%PDF-1.7", [manager])
    check(message.subject, message.body, "zh-hans")
