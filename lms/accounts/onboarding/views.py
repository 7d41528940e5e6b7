"""The manager's staff pages (``/firm/staff/``) and the invitee's invitation page.

Manager pages go through :func:`access.manager_required`: the firm is always the one the
manager manages, never one named in the request, and anything of another firm is a 404.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings
from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail import hooks

from lms.accounts.models import Invitation, Membership, MembershipRole, User
from lms.accounts.request_types import ManagerHttpRequest
from lms.lib.masking import mask_email

from . import invitations, joining, memberships
from .access import manager_required
from .forms import EndMembershipForm, InviteForm, JoinForm

MEMBERS_PER_PAGE = 50
# Apps above accounts add to the staff list through these hooks (compliance: each collector's
# grade, certificate and expiry). The first is called as fn(members) -> members on the queryset
# before paging (e.g. to join what the rows need); the second as fn(memberships, now) on the
# memberships of the page shown, to set the attributes the template reads.
STAFF_MEMBERS_QUERYSET_HOOK = "staff_members_queryset"
STAFF_MEMBERS_ROWS_HOOK = "staff_members_rows"


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@manager_required
def staff(request: ManagerHttpRequest) -> HttpResponse:
    """The firm's current staff and open invitations, with the onboarding actions."""
    firm = request.firm
    members = (
        Membership.objects.active()
        .filter(firm=firm)
        .select_related("user")
        .order_by("role", "user__legal_name", "user__email")
    )
    for construct in hooks.get_hooks(STAFF_MEMBERS_QUERYSET_HOOK):
        members = construct(members)
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(
            Q(user__legal_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(employee_number__icontains=query)
        )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for membership in page.object_list:
        # Lists mask personal data (the dashboard masks phones the same way).
        membership.masked_email = mask_email(membership.user.email)
    for describe in hooks.get_hooks(STAFF_MEMBERS_ROWS_HOOK):
        describe(page.object_list, now)
    pending = invitations.open_invitations(firm).select_related("invited_by")
    return render(
        request,
        "accounts/onboarding/staff.html",
        {"firm": firm, "page": page, "query": query, "pending": pending, "section": "staff"},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def invite(request: ManagerHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invite(
                request.firm,
                email=form.cleaned_data["email"],
                legal_name=form.cleaned_data["legal_name"],
                phone=form.cleaned_data["phone"],
                employee_number=form.cleaned_data["employee_number"],
                by=request.user,
            )
        except ValidationError as error:
            field = "employee_number" if error.code == "employee_number_taken" else "email"
            form.add_error(field, _errors(error))
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("staff:home")
    return render(
        request,
        "accounts/onboarding/invite.html",
        {"firm": request.firm, "form": form, "section": "invite"},
    )


def _firm_invitation(request: ManagerHttpRequest, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, firm=request.firm)


@manager_required
@require_POST
def resend_invitation(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    invitation = _firm_invitation(request, pk)
    try:
        invitations.resend(invitation)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request, _("The invitation to %(email)s was sent again.") % {"email": invitation.email}
        )
    return redirect("staff:home")


@manager_required
@require_POST
def cancel_invitation(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    invitation = _firm_invitation(request, pk)
    try:
        invitations.cancel(invitation)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
        )
    return redirect("staff:home")


@manager_required
@require_http_methods(["GET", "POST"])
def end_membership(request: ManagerHttpRequest, pk: int) -> HttpResponse:
    """Mark a collector as having left: a confirmation page names them and asks for their last
    day (today by default); the POST ends the membership on that day (the row stays as
    history)."""
    membership = get_object_or_404(
        Membership.objects.active().select_related("user"),
        pk=pk,
        firm=request.firm,
        role=MembershipRole.COLLECTOR,
    )
    form = EndMembershipForm(
        request.POST if request.method == "POST" else None, membership=membership
    )
    if request.method == "POST" and form.is_valid():
        left_on = form.cleaned_data["left_on"]
        try:
            memberships.end(membership, left_on, by=request.user)
        except ValidationError as error:
            form.add_error("left_on", _errors(error))
        else:
            messages.success(
                request,
                _("%(name)s is marked as having left %(firm)s on %(date)s.")
                % {
                    "name": membership.user,
                    "firm": request.firm,
                    "date": date_format(left_on, "DATE_FORMAT"),
                },
            )
            return redirect("staff:home")
    return render(
        request,
        "accounts/onboarding/end_membership.html",
        {"firm": request.firm, "membership": membership, "form": form, "section": "staff"},
        status=400 if form.is_bound else 200,
    )


# --- The invitee's page ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Where the invitation email leads: one page to join.

    The token proves the visitor reads that mailbox, so the address is marked verified. A new
    account sets its password here (and its legal name if missing); submitting accepts the
    invitation and signs them in through allauth, landing on their programme's first course
    (``joining``). Someone who already has a password signs in first and accepts here.
    """
    invitation = Invitation.objects.select_related("firm").filter(token=token).first()
    if invitation is None:
        raise Http404("No such invitation.")
    context: dict[str, Any] = {"invitation": invitation, "firm": invitation.firm}
    if not invitation.is_open:
        return render(request, "accounts/onboarding/invitation_closed.html", context, status=410)
    person = invitations.invitee(invitation)
    if person is None:
        raise Http404("The invited account no longer exists.")
    if request.user.is_authenticated and request.user.pk != person.pk:
        return render(
            request, "accounts/onboarding/invitation_wrong_user.html", context, status=403
        )
    invitations.verify_email(person, invitation.email)
    context["expires_on"] = timezone.localtime(invitation.expires_at)
    if not person.has_usable_password():
        return _join_with_password(request, invitation, person, context)
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    if request.method == "POST":
        try:
            membership = invitations.accept(invitation, request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _welcome(invitation))
            return redirect(joining.start_url(membership))
    return render(request, "accounts/onboarding/invitation.html", context)


def _welcome(invitation: Invitation) -> str:
    if invitation.role == MembershipRole.MANAGER:  # e.g. an admitted firm's first manager
        return _("Welcome to %(firm)s. Your firm dashboard starts here.") % {
            "firm": invitation.firm
        }
    return _("Welcome to %(firm)s. Your training starts here.") % {"firm": invitation.firm}


def _join_with_password(
    request: HttpRequest, invitation: Invitation, person: User, context: dict[str, Any]
) -> HttpResponse:
    """A new account: set a password, join and be signed in, in one step."""
    form = JoinForm(person, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            membership = joining.join_with_password(
                invitation,
                person,
                password=form.cleaned_data["password1"],
                legal_name=form.cleaned_data.get("legal_name", ""),
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _welcome(invitation))
            # allauth's own login, so its session state and signals are as after any sign-in
            # (and a second factor, were one set up, would still be asked for).
            return perform_login(
                request,
                person,
                email_verification=app_settings.EMAIL_VERIFICATION,
                redirect_url=joining.start_url(membership),
                email=invitation.email,
            )
    context["form"] = form
    return render(request, "accounts/onboarding/invitation.html", context)
