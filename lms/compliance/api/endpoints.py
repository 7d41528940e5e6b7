"""The platform API's operations. Each is scoped to the token's own firm: a collector or a
certificate holder who is not (today) an active member of that firm is a 404, exactly like an id
that does not exist, so a token cannot learn anything about other firms' staff. One operation
reaches past the firm: ``/firms/{credit_code}``, a lender's view of the admission standing of
the agencies it contracts with today (no individuals).

Collector ids are the users' primary keys (simple, stable, and the same in webhooks); outside
the token's firm they lead nowhere. Names and phones are masked unless the token has
``personal_data:read``; each unmasked row is written to the personal-data access log.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from ninja import Path, Query, Router

from courses import cpd
from exams.certificates.eligibility import cpd_programmes
from exams.certificates.models import Certificate, CertificateStatus
from lms.accounts.models import Contract, Firm, FirmKind, FirmStatus, Membership, MembershipRole
from lms.compliance import firm_flags, formula, privacy
from lms.compliance.models import (
    ApiScope,
    ApiToken,
    CollectorRating,
    FirmRating,
    RatingSnapshot,
)
from lms.lib.masking import mask_name, mask_phone

from .auth import TokenAuth, TokenRequest
from .schemas import (
    CODE_PATTERN,
    CREDIT_CODE_PATTERN,
    MAX_CODE_LENGTH,
    MAX_ID,
    CertificateOut,
    CollectorDetail,
    CollectorPage,
    CollectorQuery,
    Error,
    FirmOut,
    FirmStatusOut,
    ScopeError,
    ValidationErrors,
)

router = Router()

HISTORY_LENGTH = 10
PERSONAL_FIELDS = ["legal_name", "phone"]
# Every operation can answer these: 400 when the address or a header holds a NUL or invalid
# UTF-8 (lms.middleware refuses it before the API runs), 401 without a usable token, 403 without
# the scope, 429 over the rate limit. Operations add 404 and 422 where they apply.
ERRORS = {400: Error, 401: Error, 403: ScopeError, 429: Error}
NOT_FOUND = {404: Error}
INVALID = {422: ValidationErrors}


# operationId → the scope it requires (published in the OpenAPI schema by urls.PlatformAPI).
REQUIRED_SCOPES: dict[str, str] = {}


def get(path: str, *, scope: str, response, description: str, errors=None, **kwargs):
    """``router.get`` for an operation that needs ``scope``: its auth checks the scope, its
    description and OpenAPI security requirement name it, and its errors (``ERRORS`` plus the
    operation's own ``errors``) are documented."""

    def decorator(func):
        REQUIRED_SCOPES[func.__name__] = scope
        return router.get(
            path,
            auth=TokenAuth(scope),
            operation_id=func.__name__,
            response={200: response, **ERRORS, **(errors or {})},
            description=f"{description}\n\nRequires the scope `{scope}`.",
            **kwargs,
        )(func)

    return decorator


# --- Helpers -----------------------------------------------------------------------------------


def active_collectors(firm) -> QuerySet[Membership]:
    """The firm's collectors today, each with their user and current rating (one JOIN)."""
    return (
        Membership.objects.active()
        .filter(firm=firm, role=MembershipRole.COLLECTOR)
        .select_related("user", "user__rating")
    )


def shows_personal_data(token: ApiToken) -> bool:
    return token.has_scope(ApiScope.PERSONAL_DATA)


def rating_of(user) -> CollectorRating | None:
    try:
        return user.rating  # loaded by select_related: no query
    except CollectorRating.DoesNotExist:
        return None


def collector_fields(membership: Membership, *, unmasked: bool) -> dict:
    user = membership.user
    rating = rating_of(user)
    return {
        "id": user.pk,
        "name": user.legal_name if unmasked else mask_name(user.legal_name),
        "phone": user.phone if unmasked else mask_phone(user.phone),
        "masked": not unmasked,
        "employee_number": membership.employee_number,
        "grade": rating.grade if rating else None,
        "score": rating.score if rating else None,
        "certificate_status": (rating.certificate_status or None) if rating else None,
        "certificate_expires_at": rating.certificate_expires_at if rating else None,
        "updated_at": rating.changed_at if rating else None,
    }


def log_personal_data(request: TokenRequest, subjects: list, fields: list[str]) -> None:
    if subjects:
        privacy.log_access(
            subjects,
            fields=fields,
            context=f"API {request.method} {request.path}",
            token=request.auth,
        )


def page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")


def aware(moment: datetime) -> datetime:
    """An offset-less time is read in the site's time zone (Asia/Shanghai)."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def explanation_for(request: HttpRequest, rating: CollectorRating) -> list[str]:
    """The formula's plain-language reading of the stored breakdown, in the language the client
    asks for (``Accept-Language``: zh-hans by default, or en). Empty when the stored components
    are not in a shape this formula version can read."""
    language = translation.get_language_from_request(request)
    try:
        with translation.override(language):
            return [str(line) for line in formula.explain(rating.components)]
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return []


# --- Collectors --------------------------------------------------------------------------------


@get(
    "/collectors",
    scope=ApiScope.COLLECTORS_READ,
    response=CollectorPage,
    errors=INVALID,
    tags=["collectors"],
    summary="List the firm's active collectors with their ratings",
    description=(
        "The token's firm's active collectors, ordered by id, with grade, score and "
        "certificate status. Page-number pagination: follow `next` until it is null."
    ),
)
def list_collectors(request: TokenRequest, query: Query[CollectorQuery]):
    token: ApiToken = request.auth
    # Not the rating's breakdown (two JSON documents per row, the detail's business): a page
    # reads only narrow columns, so the database sorts and skips rows cheaply on any page.
    rows = (
        active_collectors(token.firm)
        .defer("user__rating__components", "user__rating__inputs")
        .order_by("user_id")
    )
    if query.grade:
        rows = rows.filter(user__rating__grade__in=query.grade)
    if query.updated_since is not None:
        rows = rows.filter(user__rating__changed_at__gte=aware(query.updated_since))
    page, page_size = query.page, query.page_size
    count = rows.count()
    start = (page - 1) * page_size
    memberships = list(rows[start : start + page_size])
    unmasked = shows_personal_data(token)
    if unmasked:
        log_personal_data(request, [m.user for m in memberships], PERSONAL_FIELDS)
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next": page_url(request, page + 1) if start + page_size < count else None,
        "previous": page_url(request, page - 1) if page > 1 and count else None,
        "results": [collector_fields(m, unmasked=unmasked) for m in memberships],
    }


@get(
    "/collectors/{collector_id}",
    scope=ApiScope.RATINGS_READ,
    response=CollectorDetail,
    errors={**NOT_FOUND, **INVALID},
    tags=["collectors"],
    summary="One collector's rating with its breakdown and recent history",
    description=("404 unless the collector is an active collector of the token's firm."),
)
def get_collector(
    request: TokenRequest,
    collector_id: int = Path(..., ge=1, le=MAX_ID, description="The collector's id."),
):
    token: ApiToken = request.auth
    membership = active_collectors(token.firm).filter(user_id=collector_id).first()
    if membership is None:
        raise Http404
    unmasked = shows_personal_data(token)
    if unmasked:
        log_personal_data(request, [membership.user], PERSONAL_FIELDS)
    rating = rating_of(membership.user)
    history = RatingSnapshot.objects.filter(user_id=collector_id).order_by("-created_at", "-pk")
    return {
        **collector_fields(membership, unmasked=unmasked),
        "formula_version": rating.formula_version if rating else None,
        "components": rating.components if rating else {},
        "inputs": rating.inputs if rating else {},
        "explanation": explanation_for(request, rating) if rating else [],
        "computed_at": rating.computed_at if rating else None,
        "history": list(history[:HISTORY_LENGTH]),
        "cpd": cpd_hours(membership.user),
    }


def cpd_hours(user) -> dict:
    """The collector's CPD hours: the 12 months ending today, and each programme requiring
    hours that concerns them — whose certificate they hold (valid or suspended) or that they
    are assigned, as on their "My learning" (``cpd_programmes``) — in its own cycle (two
    queries)."""
    programmes = cpd_programmes(user)
    yearly = SimpleNamespace(pk=None, cpd_hours_required=0, cpd_offline_hours_required=0)
    yearly.cpd_cycle_months = 12
    cycles = cpd.cycle_progress_many(user, [yearly, *programmes])
    current = cycles[None]
    return {
        "starts_on": current.starts_on,
        "ends_on": current.ends_on,
        "hours": current.hours,
        "offline_hours": current.offline_hours,
        "programmes": [
            {
                "code": programme.code,
                "name": programme.name,
                "starts_on": cycles[programme.pk].starts_on,
                "ends_on": cycles[programme.pk].ends_on,
                "hours": cycles[programme.pk].hours,
                "offline_hours": cycles[programme.pk].offline_hours,
                "required": cycles[programme.pk].required,
                "required_offline": cycles[programme.pk].required_offline,
                "met": cycles[programme.pk].met,
            }
            for programme in programmes
        ],
    }


# --- Firm --------------------------------------------------------------------------------------


@get(
    "/firm",
    scope=ApiScope.RATINGS_READ,
    response=FirmOut,
    tags=["firm"],
    summary="The token's firm: admission status and aggregate rating",
    description=(
        "`rating.flagged` means the firm is below an admission threshold and a person will "
        "review it; the status itself only changes by that person's decision."
    ),
)
def get_firm(request: TokenRequest):
    firm = request.auth.firm
    rating = FirmRating.objects.filter(firm=firm).first()
    return {
        "name": firm.name,
        "credit_code": firm.credit_code,
        "kind": firm.kind,
        "status": firm.status,
        "admission_expires_on": firm.admission_expires_on,
        "admission_expired": firm.admission_expired,
        "rating": rating_fields(firm, rating) if rating is not None else None,
    }


def rating_fields(firm: Firm, rating: FirmRating) -> dict:
    """The stored rating, its flags completed with ``admission_expired`` (firm_flags)."""
    reasons = firm_flags.flag_reasons(firm, rating)
    return {
        "active_collectors": rating.active_collectors,
        "certified_share": rating.certified_share,
        "mean_score": rating.mean_score,
        "findings_per_100": rating.findings_per_100,
        "grade_counts": rating.grade_counts,
        "flagged": bool(reasons),
        "flag_reasons": reasons,
        "formula_version": rating.formula_version,
        "computed_at": rating.computed_at,
    }


def readable_firm(token: ApiToken, credit_code: str) -> Firm | None:
    """The firm with ``credit_code`` if the token may read it: its own firm, or (for a lender's
    token) an agency the lender contracts with today. Anything else is None (a 404)."""
    own = token.firm
    if credit_code == own.credit_code:
        return own
    if own.kind != FirmKind.LENDER:
        return None
    contracted = Contract.objects.current().filter(lender=own).values("agency_id")
    return Firm.objects.filter(credit_code=credit_code, pk__in=contracted).first()


@get(
    "/firms/{credit_code}",
    scope=ApiScope.RATINGS_READ,
    response=FirmStatusOut,
    errors={**NOT_FOUND, **INVALID},
    tags=["firm"],
    summary="A firm's admission standing: the token's own firm or a contracted agency",
    description=(
        "Status (pending, admitted, suspended, banned), when it last changed, the ban category "
        "when banned, the admission's expiry and whether it has lapsed, and the firm's flags. "
        "Readable for the token's own firm and, for a lender's token, for the agencies the "
        "lender contracts with today (a contract that has ended no longer counts); any other "
        "code, known or not, is a 404. Nothing about individuals is returned."
    ),
)
def get_firm_status(
    request: TokenRequest,
    credit_code: str = Path(
        ...,
        min_length=18,
        max_length=18,
        pattern=CREDIT_CODE_PATTERN,
        description="The firm's unified social credit code (18 characters).",
    ),
):
    firm = readable_firm(request.auth, credit_code.upper())
    if firm is None:
        raise Http404
    change = firm.status_changes.order_by("-decided_at", "-pk").first()
    banned = firm.status == FirmStatus.BANNED
    reasons = firm_flags.flag_reasons(firm, FirmRating.objects.filter(firm=firm).first())
    return {
        "name": firm.name,
        "credit_code": firm.credit_code,
        "kind": firm.kind,
        "status": firm.status,
        "status_changed_at": change.decided_at if change else None,
        "ban_category": (change.category or None) if banned and change else None,
        "admission_expires_on": firm.admission_expires_on,
        "admission_expired": firm.admission_expired,
        "flagged": bool(reasons),
        "flag_reasons": reasons,
    }


# --- Certificates ------------------------------------------------------------------------------


@get(
    "/certificates/{verification_code}",
    scope=ApiScope.CERTIFICATES_VERIFY,
    response=CertificateOut,
    errors={**NOT_FOUND, **INVALID},
    tags=["certificates"],
    summary="Verify a certificate held by one of the firm's staff",
    description=(
        "Look a certificate up by the verification code printed on it (and in its QR code). "
        "404 if the code is unknown or its holder is not today a member of the token's firm."
    ),
)
def verify_certificate(
    request: TokenRequest,
    verification_code: str = Path(..., max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN),
):
    token: ApiToken = request.auth
    members = Membership.objects.active().filter(firm=token.firm)
    certificate = (
        Certificate.objects.filter(
            verification_code=verification_code, holder__in=members.values("user_id")
        )
        .select_related("programme", "holder")
        .annotate(
            employee_number=Subquery(
                members.filter(user_id=OuterRef("holder_id")).values("employee_number")[:1]
            )
        )
        .first()
    )
    if certificate is None:
        raise Http404
    unmasked = shows_personal_data(token)
    if unmasked:
        log_personal_data(request, [certificate.holder], ["legal_name"])
    status = certificate.status_on()  # past its expiry: expired before the nightly job says so
    suspension = certificate.open_suspension if status == CertificateStatus.SUSPENDED else None
    name = certificate.holder_name
    return {
        "verification_code": certificate.verification_code,
        "serial": certificate.serial,
        "status": status,
        "is_valid": status == CertificateStatus.VALID,
        "suspension": (
            {"category": suspension.category, "since": suspension.started_at}
            if suspension is not None
            else None
        ),
        "programme": {"code": certificate.programme.code, "name": certificate.programme_name},
        "score": certificate.score,
        "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at,
        "revoked_at": certificate.revoked_at,
        "holder": {
            "id": certificate.holder_id,
            "name": name if unmasked else mask_name(name),
            "masked": not unmasked,
            "employee_number": certificate.employee_number or "",
        },
    }
