"""Staff onboarding for firm managers: inviting by email, accepting, who may do what, and
programme assignments."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.certificates import assignments
from exams.certificates.models import ProgrammeAssignment
from lms.accounts.models import Invitation, Membership, MembershipRole, User
from lms.accounts.onboarding import invitations
from lms.accounts.roles import Role
from lms.lib.masking import mask_email
from tests.conftest import PASSWORD
from tests.factories import FirmFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sunny-Collector-2026"
LINK = re.compile(r"https?://[^\s]+/firm/staff/invitations/[\w-]+/")


@pytest.fixture
def firm():
    return FirmFactory(name="阳光催收有限公司")


@pytest.fixture
def manager_client(client, manager, firm):
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    manager.preferred_language = "en"  # messages are asserted in English
    manager.save(update_fields=["preferred_language"])
    client.force_login(manager)
    return client


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- The whole invitation, over HTTP -------------------------------------------------------------


def test_invite_email_password_accept_end_to_end(
    manager_client, firm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("staff:invite"),
            {
                "legal_name": "赵六",
                "email": "Zhao.Liu@Example.com",
                "phone": "138 0013 8000",
                "employee_number": "E-100",
            },
        )
    assert response.status_code == 302
    invitee = User.objects.get(email="zhao.liu@example.com")
    assert not invitee.has_usable_password()
    assert invitee.phone == "13800138000"
    assert not EmailAddress.objects.get(user=invitee).verified
    assert not Membership.objects.filter(user=invitee).exists()  # not until they accept

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhao.liu@example.com"]
    assert firm.name in message.subject
    link = LINK.search(message.body).group(0)

    browser = Client()
    page = browser.get(path_of(link))  # no password yet: this page asks for one
    assert page.status_code == 200
    html = page.content.decode()
    assert firm.name in html
    assert 'name="password1"' in html
    assert 'name="legal_name"' not in html  # the firm gave the name already
    assert "设置密码并加入" in html
    response = browser.post(path_of(link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    # Signed in, a member, and on the first course of the programme (none here: My learning).
    assert response["Location"] == reverse("courses:my_learning")
    assert int(browser.session["_auth_user_id"]) == invitee.pk
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)

    membership = Membership.objects.get(user=invitee)
    assert (membership.firm, membership.role, membership.employee_number) == (
        firm,
        MembershipRole.COLLECTOR,
        "E-100",
    )
    assert membership.active_to is None
    assert invitee.groups.filter(name=Role.COLLECTOR).exists()
    assert EmailAddress.objects.get(user=invitee).verified
    invitation = Invitation.objects.get(email="zhao.liu@example.com")
    assert invitation.accepted_at is not None
    assert browser.get(path_of(link)).status_code == 410  # used up


def test_a_new_invitee_lands_on_the_first_course_of_their_programme(firm, client):
    from tests.exams.certificate_factories import make_programme

    first = make_programme(courses=2).courses[0]
    invitation = invitations.invite(firm, email="qian@example.com", by=None, legal_name="钱七")
    path = reverse("staff:invitation", args=[invitation.token])
    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == first.url
    page = client.get(response["Location"]).content.decode()
    assert first.title in page
    assert f"欢迎加入{firm.name}" in page  # the welcome message shows on the course


def test_an_assigned_programme_comes_before_the_other_active_ones(firm):
    from lms.accounts.onboarding import joining
    from tests.exams.certificate_factories import make_programme

    make_programme(courses=1)
    assigned = make_programme(courses=1)
    member = MembershipFactory(firm=firm, role=MembershipRole.COLLECTOR)
    ProgrammeAssignment.objects.create(
        user=member.user, programme=assigned.programme, firm=firm, due_on=timezone.localdate()
    )
    assert joining.start_url(member) == assigned.courses[0].url


def test_the_invitation_page_asks_for_a_missing_legal_name(firm, client):
    invitation = invitations.invite(firm, email="nameless@example.com", by=None)
    path = reverse("staff:invitation", args=[invitation.token])
    assert 'name="legal_name"' in client.get(path).content.decode()
    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200  # the name is required
    assert not Membership.objects.exists()
    response = client.post(
        path, {"legal_name": " 孙  八 ", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(email="nameless@example.com").legal_name == "孙 八"


@pytest.mark.parametrize(
    ("first", "second"),
    [("Sunny-Collector-2026", "Sunny-Collector-2027"), ("123", "123"), ("", "")],
)
def test_a_bad_password_keeps_the_invitation_open_and_nobody_signed_in(firm, client, first, second):
    invitation = invitations.invite(firm, email="qian@example.com", by=None, legal_name="钱七")
    path = reverse("staff:invitation", args=[invitation.token])
    response = client.post(path, {"password1": first, "password2": second})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(email="qian@example.com").has_usable_password()
    assert not Membership.objects.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_someone_signed_in_cannot_set_a_new_invitees_password(firm, client, collector):
    invitation = invitations.invite(firm, email="qian@example.com", by=None, legal_name="钱七")
    client.force_login(collector)
    path = reverse("staff:invitation", args=[invitation.token])
    response = client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert not User.objects.get(email="qian@example.com").has_usable_password()
    assert int(client.session["_auth_user_id"]) == collector.pk


def test_an_existing_user_signs_in_and_accepts(manager_client, firm, other_collector, client):
    invitation = invitations.invite(firm, email=other_collector.email, by=None, legal_name="李四")
    client.logout()
    page_path = reverse("staff:invitation", args=[invitation.token])
    response = client.get(page_path)
    assert response["Location"].startswith(reverse("account_login"))
    client.post(response["Location"], {"login": other_collector.email, "password": PASSWORD})
    assert client.post(page_path).status_code == 302
    assert Membership.objects.get(user=other_collector).firm == firm


def test_an_invitation_cannot_be_accepted_by_someone_else(firm, client, collector):
    invitation = invitations.invite(firm, email="someone@example.com", by=None)
    client.force_login(collector)
    User.objects.filter(email="someone@example.com").update(password="md5$x$y")  # "has one"
    response = client.post(reverse("staff:invitation", args=[invitation.token]))
    assert response.status_code == 403
    assert not Membership.objects.exists()


def test_an_expired_or_withdrawn_invitation_does_nothing(firm, client, collector):
    invitation = invitations.invite(firm, email=collector.email, by=None)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(collector)
    assert client.post(reverse("staff:invitation", args=[invitation.token])).status_code == 410
    assert client.get(reverse("staff:invitation", args=["no-such-token"])).status_code == 404
    assert not Membership.objects.exists()


def test_someone_active_in_another_firm_cannot_be_invited(manager_client, firm, collector):
    MembershipFactory(firm=FirmFactory(name="别家公司"), user=collector)
    response = manager_client.post(
        reverse("staff:invite"), {"legal_name": "张三", "email": collector.email}
    )
    assert response.status_code == 200
    assert "is an active member of another firm" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_second_invitation_to_the_same_person_is_refused(manager_client, firm):
    data = {"legal_name": "孙七", "email": "sun.qi@example.com"}
    assert manager_client.post(reverse("staff:invite"), data).status_code == 302
    assert manager_client.post(reverse("staff:invite"), data).status_code == 200
    assert Invitation.objects.count() == 1


def test_a_bad_phone_is_refused_on_the_invite_form(manager_client):
    response = manager_client.post(
        reverse("staff:invite"),
        {"legal_name": "周八", "email": "zhou@example.com", "phone": "12345"},
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


# --- Who may use the staff pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "staff:home",
        "staff:invite",
        "staff:import",
        "certificates:assignments",
        "certificates:assign",
    ],
)
def test_non_managers_get_403_and_strangers_sign_in(client, collector, auditor, name):
    assert client.get(reverse(name))["Location"].startswith(reverse("account_login"))
    client.force_login(collector)
    assert client.get(reverse(name)).status_code == 403


def test_a_manager_in_the_group_but_without_a_membership_gets_403(client, manager):
    client.force_login(manager)
    assert client.get(reverse("staff:home")).status_code == 403


def test_a_manager_sees_only_their_own_firm(manager_client, firm):
    mine = MembershipFactory(firm=firm, employee_number="M-1")
    theirs = MembershipFactory(firm=FirmFactory(name="别家公司"), employee_number="T-1")
    html = manager_client.get(reverse("staff:home")).content.decode()
    assert f'data-member="{mine.pk}"' in html
    assert mine.user.legal_name in html
    assert mine.user.email not in html  # masked in the list
    assert f'data-member="{theirs.pk}"' not in html
    assert theirs.user.legal_name not in html
    other_invitation = invitations.invite(theirs.firm, email="x@example.com", by=None)
    assert (
        manager_client.post(
            reverse("staff:cancel_invitation", args=[other_invitation.pk])
        ).status_code
        == 404
    )
    response = manager_client.post(reverse("staff:end_membership", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active_to is None


def test_a_manager_ends_a_collectors_membership_and_the_history_stays(manager_client, firm):
    member = MembershipFactory(firm=firm, employee_number="C-7")
    member.active_from = timezone.localdate() - timedelta(days=30)
    member.save(update_fields=["active_from"])
    url = reverse("staff:end_membership", args=[member.pk])
    page = manager_client.get(url)  # a confirmation first, naming the person, today pre-filled
    assert page.status_code == 200
    html = page.content.decode()
    assert member.user.legal_name in html
    assert f'value="{timezone.localdate().isoformat()}"' in html
    member.refresh_from_db()
    assert member.active_to is None
    last_day = timezone.localdate() - timedelta(days=3)
    response = manager_client.post(url, {"left_on": last_day.isoformat()})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.active_to == last_day
    assert Membership.objects.filter(pk=member.pk).exists()  # ended, not deleted


@pytest.mark.parametrize(
    "left_on",
    ["", "not-a-date", "FUTURE", "BEFORE_START"],
    ids=["missing", "garbage", "in-the-future", "before-joining"],
)
def test_marking_as_left_with_a_bad_date_is_refused_and_changes_nothing(
    manager_client, firm, left_on
):
    member = MembershipFactory(firm=firm)
    member.active_from = timezone.localdate() - timedelta(days=10)
    member.save(update_fields=["active_from"])
    left_on = {
        "FUTURE": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "BEFORE_START": (member.active_from - timedelta(days=1)).isoformat(),
    }.get(left_on, left_on)
    response = manager_client.post(
        reverse("staff:end_membership", args=[member.pk]), {"left_on": left_on}
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    member.refresh_from_db()
    assert member.active_to is None


def test_the_staff_list_shows_status_as_a_label_and_mark_as_left_as_a_link(manager_client, firm):
    member = MembershipFactory(firm=firm)
    html = manager_client.get(reverse("staff:home")).content.decode()
    item = html[html.index(f'data-member="{member.pk}"') :]
    item = item[: item.index("</li>")]
    assert 'data-member-status="active"' in item
    link = reverse("staff:end_membership", args=[member.pk])
    assert f'<a class="action-link" href="{link}" data-action="end-membership">' in item
    assert "<button" not in item  # nothing on the list itself changes anything


def test_the_staff_list_shows_each_collectors_grade_and_certificate_first(manager_client, firm):
    from tests.compliance.dashboard_factories import rate

    certified, lapsed, unrated = MembershipFactory.create_batch(3, firm=firm)
    rating = rate(certified.user, grade="A", score="93.10", expires_in_days=200)
    rate(lapsed.user, grade="C", score="64.00", expires_in_days=-1)  # valid, but past expiry
    html = manager_client.get(reverse("staff:home")).content.decode()

    def item(member) -> str:
        start = html.index(f'data-member="{member.pk}"')
        return html[start : html.index("</li>", start)]

    first = item(certified)
    assert 'data-member-certificate="valid"' in first
    assert '<span class="grade grade-a">A</span> 93.1' in first
    expiry = timezone.localtime(rating.certificate_expires_at).date().isoformat()
    assert expiry in first
    assert first.index("grade-a") < first.index("data-member-status")  # before the details
    assert 'data-member-certificate="expired"' in item(lapsed)
    assert 'data-member-certificate="none"' in item(unrated)


def test_marking_as_left_needs_the_csrf_token(manager, firm):
    MembershipFactory(firm=firm, role=MembershipRole.MANAGER, user=manager)
    member = MembershipFactory(firm=firm)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(
        reverse("staff:end_membership", args=[member.pk]),
        {"left_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.active_to is None


def test_withdrawing_and_resending_an_invitation(
    manager_client, firm, django_capture_on_commit_callbacks
):
    invitation = invitations.invite(firm, email="wu@example.com", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("staff:resend_invitation", args=[invitation.pk]))
    assert len(mail.outbox) == 1
    manager_client.post(reverse("staff:cancel_invitation", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    # A new invitation is possible once the old one is withdrawn.
    assert invitations.invite(firm, email="wu@example.com", by=None).pk != invitation.pk


# --- Programme assignments -----------------------------------------------------------------------


@pytest.fixture
def programme(db):
    from tests.exams.certificate_factories import make_programme

    return make_programme().programme


def test_manager_assigns_a_programme_to_several_collectors(manager_client, firm, programme):
    first, second = MembershipFactory(firm=firm), MembershipFactory(firm=firm)
    outsider = MembershipFactory(firm=FirmFactory())
    due = timezone.localdate() + timedelta(days=30)
    response = manager_client.post(
        reverse("certificates:assign"),
        {
            "programme": programme.pk,
            "collectors": [first.user.pk, second.user.pk],
            "due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    assert set(ProgrammeAssignment.objects.open().values_list("user_id", "firm_id", "due_on")) == {
        (first.user.pk, firm.pk, due),
        (second.user.pk, firm.pk, due),
    }

    # Another firm's collector is not a choice; a past due date is refused.
    response = manager_client.post(
        reverse("certificates:assign"),
        {"programme": programme.pk, "collectors": [outsider.user.pk], "due_on": due.isoformat()},
    )
    assert response.status_code == 200
    response = manager_client.post(
        reverse("certificates:assign"),
        {
            "programme": programme.pk,
            "collectors": [first.user.pk],
            "due_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert ProgrammeAssignment.objects.count() == 2


def test_assigning_to_a_valid_certificate_holder_completes_it_at_once(
    manager_client, firm, programme, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.exams.certificate_factories import issue_certificate, use_fast_pdf

    use_fast_pdf(monkeypatch)
    certified, expired, newcomer = MembershipFactory.create_batch(3, firm=firm)
    with django_capture_on_commit_callbacks(execute=True):
        issue_certificate(certified.user, programme)
        # Issued long ago: past its expiry (the nightly job has not marked it expired yet).
        lapsed = issue_certificate(
            expired.user, programme, now=timezone.now() - timedelta(days=365 * 10)
        )
    assert lapsed.status == "valid" and lapsed.expires_at < timezone.now()

    response = manager_client.post(
        reverse("certificates:assign"),
        {
            "programme": programme.pk,
            "collectors": [certified.user.pk, expired.user.pk, newcomer.user.pk],
            "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        follow=True,
    )
    assert response.status_code == 200
    done = ProgrammeAssignment.objects.get(user=certified.user)
    assert done.completed_at is not None and not done.is_overdue
    assert ProgrammeAssignment.objects.get(user=expired.user).completed_at is None
    assert ProgrammeAssignment.objects.get(user=newcomer.user).completed_at is None
    notes = [str(message) for message in response.context["messages"]]
    assert any("valid certificate" in note and str(certified.user) in note for note in notes)
    html = manager_client.get(
        reverse("certificates:assignments") + "?state=completed"
    ).content.decode()
    assert f'data-assignment="{done.pk}"' in html


def test_the_assignment_form_masks_emails_as_the_staff_list_does(manager_client, firm, programme):
    member = MembershipFactory(firm=firm)
    html = manager_client.get(reverse("certificates:assign")).content.decode()
    assert member.user.legal_name in html
    assert member.user.email not in html
    assert mask_email(member.user.email) in html


def test_one_open_assignment_per_collector_and_programme(firm, programme, manager):
    member = MembershipFactory(firm=firm)
    due = timezone.localdate() + timedelta(days=10)
    assignments.assign(firm, programme, [member.user], due_on=due, by=manager)
    result = assignments.assign(firm, programme, [member.user], due_on=due, by=manager)
    assert result.created == [] and result.already_open == [member.user]
    assert ProgrammeAssignment.objects.count() == 1


def test_assignment_lists_and_cancelling(manager_client, firm, programme):
    member = MembershipFactory(firm=firm)
    overdue = ProgrammeAssignment.objects.create(
        user=member.user,
        programme=programme,
        firm=firm,
        due_on=timezone.localdate() - timedelta(days=2),
    )
    html = manager_client.get(
        reverse("certificates:assignments") + "?state=overdue"
    ).content.decode()
    assert f'data-assignment="{overdue.pk}"' in html
    html = manager_client.get(
        reverse("certificates:assignments") + "?state=completed"
    ).content.decode()
    assert f'data-assignment="{overdue.pk}"' not in html

    other = ProgrammeAssignment.objects.create(
        user=MembershipFactory(firm=FirmFactory()).user,
        programme=programme,
        firm=FirmFactory(),
        due_on=timezone.localdate(),
    )
    assert (
        manager_client.post(reverse("certificates:cancel_assignment", args=[other.pk])).status_code
        == 404
    )
    assert (
        manager_client.post(
            reverse("certificates:cancel_assignment", args=[overdue.pk])
        ).status_code
        == 302
    )
    overdue.refresh_from_db()
    assert overdue.cancelled_at is not None


def test_a_certificate_of_the_programme_completes_the_assignment(
    firm, programme, manager, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.exams.certificate_factories import issue_certificate, use_fast_pdf

    use_fast_pdf(monkeypatch)
    member = MembershipFactory(firm=firm)
    assignments.assign(
        firm, programme, [member.user], due_on=timezone.localdate() + timedelta(5), by=manager
    )
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_certificate(member.user, programme)
    assignment = ProgrammeAssignment.objects.get()
    assert assignment.completed_at == certificate.issued_at
    assert not ProgrammeAssignment.objects.open().exists()
