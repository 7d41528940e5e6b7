"""「录入申请」 in the admin: platform staff enter an application with the same forms and checks.

Who may: ``admission.add_application`` (Admission reviewers, superusers); collectors, managers
and auditors may not. Staff see only the drafts they entered, and the entry makes them
conflicted for the review."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from lms.admission.access import can_review, conflict_of_interest
from lms.admission.models import Application, ApplicationStatus
from tests.admission.apply_helpers import link_in, page_data, start_data
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

INDEX = "admission_staff_apply:index"


@pytest.fixture
def staff(client, admission_reviewer):
    return signed_in(client, admission_reviewer)


def start(client, django_capture_on_commit_callbacks, **overrides) -> Application:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admission_staff_apply:add"), start_data(**overrides))
    assert response.status_code == 302, response.context["form"].errors
    return Application.objects.latest("pk")


def test_menu_item_and_pages_for_admission_staff(staff):
    home = staff.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) in home
    assert staff.get(reverse(INDEX)).status_code == 200
    assert staff.get(reverse("admission_staff_apply:add")).status_code == 200


@pytest.mark.parametrize("persona", ["auditor", "manager", "collector"])
def test_others_may_not_enter_applications(client, request, persona):
    user = request.getfixturevalue(persona)
    if persona == "auditor":  # a staff role: signs in with MFA
        signed_in(client, user)
    else:
        client.force_login(user)
    for url in (reverse(INDEX), reverse("admission_staff_apply:add")):
        response = client.get(url)
        assert response.status_code in (302, 403)
    if persona == "auditor":
        home = client.get(reverse("wagtailadmin_home")).content.decode()
        assert reverse(INDEX) not in home


def test_staff_enter_save_and_submit(staff, admission_reviewer, django_capture_on_commit_callbacks):
    application = start(staff, django_capture_on_commit_callbacks)
    assert application.created_by == admission_reviewer
    assert application.status == ApplicationStatus.DRAFT
    (email,) = mail.outbox  # the contact person gets the link to follow it
    assert email.to == ["apply@example.com"] and link_in(email.body)
    edit = reverse("admission_staff_apply:edit", args=[application.pk])
    page = staff.get(edit)
    assert page.status_code == 200 and "明镜资产管理有限公司" in page.content.decode()
    assert staff.post(edit, page_data(application)).status_code == 302
    licence = application.licences.get()
    download = staff.get(reverse("admission_staff_apply:licence", args=[licence.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(edit, page_data(application, licence=False, action="submit"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    # Entering it is a conflict of interest for the review.
    assert conflict_of_interest(admission_reviewer, application)
    assert not can_review(admission_reviewer, application)


def test_bad_input_in_the_admin_is_shown_again(staff, django_capture_on_commit_callbacks):
    application = start(staff, django_capture_on_commit_callbacks)
    edit = reverse("admission_staff_apply:edit", args=[application.pk])
    response = staff.post(
        edit,
        page_data(
            application,
            licence=False,
            **{"basics-staff_count": "-3", "basics-legal_representative": "林法人"},
        ),
    )
    assert response.status_code == 200
    assert "staff_count" in response.context["basics"].errors
    assert "林法人" in response.content.decode()
    response = staff.post(edit, page_data(application, licence=False, action="submit"))
    assert response.status_code == 200
    assert response.context["problems"]  # the business licence is missing


def test_a_refused_code_in_the_admin(staff, django_capture_on_commit_callbacks):
    from tests.factories import FirmFactory

    firm = FirmFactory()
    response = staff.post(
        reverse("admission_staff_apply:add"), start_data(credit_code=firm.credit_code)
    )
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors


def test_staff_see_only_their_own_drafts(
    client, staff, second_admission_reviewer, django_capture_on_commit_callbacks
):
    application = start(staff, django_capture_on_commit_callbacks)
    other = signed_in(client.__class__(), second_admission_reviewer)
    assert "明镜资产管理有限公司" not in other.get(reverse(INDEX)).content.decode()
    edit = reverse("admission_staff_apply:edit", args=[application.pk])
    assert other.get(edit).status_code == 404
    assert other.post(edit, page_data(application)).status_code == 404
    assert application.licences.count() == 0


def test_a_public_application_is_not_editable_in_the_admin(client, staff):
    client.post("/firms/apply/", start_data())
    public = Application.objects.get()
    edit = reverse("admission_staff_apply:edit", args=[public.pk])
    assert staff.get(edit).status_code == 404
