"""The platform API's JSON shapes (pydantic models through django-ninja; they make the OpenAPI
schema). Personal data (names, phones) arrives here already masked or not: the endpoints decide,
from the token's scopes, and log every unmasked row."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

GradeLetter = Literal["A", "B", "C", "D"]


class Error(Schema):
    detail: str = Field(description="What went wrong, in English.")


class ScopeError(Error):
    missing_scope: str = Field(description="The scope the token would need.")


class ValidationIssue(Schema):
    type: str = Field(description="What kind of problem (pydantic's error type).")
    loc: list[str | int] = Field(description='Where: e.g. ["query", "page"].')
    msg: str = Field(description="What is wrong, in English.")


class ValidationErrors(Schema):
    detail: list[ValidationIssue] = Field(description="Every parameter that was refused.")


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Far beyond any firm's staff, and small enough that (page - 1) * page_size stays an ordinary
# OFFSET: an unbounded page overflowed PostgreSQL's bigint (a 500, not a 422).
MAX_PAGE = 100_000
# Ids are PostgreSQL bigints; a larger number cannot name anything.
MAX_ID = 2**63 - 1
# Verification codes are 22 URL-safe characters (secrets.token_urlsafe(16)); the column holds 32.
MAX_CODE_LENGTH = 32
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
# What updated_since must start with. Pydantic alone would also read "0.5" or "1700000000" as
# Unix timestamps, which the schema (format: date-time) does not promise.
ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


class CollectorQuery(Schema):
    """Filters and paging for the collector list (query parameters)."""

    grade: list[GradeLetter] | None = Field(
        None, description="Only these grades; repeat for several (grade=C&grade=D)."
    )
    updated_since: datetime | None = Field(
        None,
        description="Only ratings changed at or after this ISO 8601 time; without an offset "
        "it is read as Asia/Shanghai time, with one (any, up to ±23:59) it is converted to "
        "UTC. URL-encode a + in the offset as %2B.",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("updated_since", mode="before")
    @classmethod
    def iso_8601_only(cls, value: object) -> object:
        if isinstance(value, str) and not ISO_DATE_START.match(value):
            raise ValueError("Give an ISO 8601 time, e.g. 2026-01-31T08:00:00+08:00.")
        return value

    @field_validator("updated_since", mode="after")
    @classmethod
    def in_utc(cls, value: datetime | None) -> datetime | None:
        # ISO 8601 (and the schema's date-time) allows offsets up to ±23:59, which PostgreSQL
        # refuses: read the time in UTC instead. A time so early (or late) that UTC falls
        # outside years 1–9999 means "from the beginning" (or "nothing yet").
        if value is None or value.utcoffset() is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:
            edge = datetime.min if value.year == 1 else datetime.max
            return edge.replace(tzinfo=UTC)


class CollectorOut(Schema):
    id: int = Field(
        description="The collector's id (stable; the same id in webhooks). Use it with "
        "/collectors/{id}."
    )
    name: str = Field(
        description="Legal name, masked (张*三) unless the token has personal_data:read."
    )
    phone: str = Field(
        description="Mobile number, masked (138****5678) unless the token has personal_data:read."
    )
    masked: bool = Field(description="Whether name and phone are masked.")
    employee_number: str
    grade: GradeLetter | None = Field(description="A (best) to D; null if not rated yet.")
    score: float | None = Field(description="0–100; null if not rated yet.")
    certificate_status: str | None = Field(
        description=(
            "The summary over the required programmes: valid (all held and valid), revoked, "
            "suspended (one is suspended: not valid, reversible), expired, not_required, or "
            "null (some programme never certified)."
        )
    )
    certificate_expires_at: datetime | None
    updated_at: datetime | None = Field(
        description="When the rating last changed (what updated_since filters on)."
    )


class CollectorPage(Schema):
    count: int = Field(description="Collectors matching the filters, on all pages.")
    page: int
    page_size: int
    next: str | None = Field(description="URL of the next page; null on the last page.")
    previous: str | None
    results: list[CollectorOut]


class SnapshotOut(Schema):
    grade: GradeLetter
    score: float
    formula_version: str
    reason: str = Field(description="What caused the change.")
    created_at: datetime


class CpdProgrammeOut(Schema):
    code: str
    name: str
    starts_on: date = Field(description="First day of the programme's CPD cycle (included).")
    ends_on: date = Field(description="Last day of the cycle: today (Beijing).")
    hours: Decimal = Field(description="CPD hours earned in the cycle, corrections included.")
    offline_hours: Decimal = Field(description="Of which at in-person salons or summits.")
    required: Decimal = Field(description="Hours the programme requires for renewal.")
    required_offline: Decimal = Field(description="Offline hours it requires.")
    met: bool = Field(description="Both requirements met: the hours allow a renewal today.")


class CpdOut(Schema):
    starts_on: date = Field(description="First day of the current 12-month cycle (included).")
    ends_on: date = Field(description="Today (Beijing), the cycle's last day.")
    hours: Decimal = Field(description="CPD hours earned in the 12 months ending today.")
    offline_hours: Decimal = Field(description="Of which at in-person salons or summits.")
    programmes: list[CpdProgrammeOut] = Field(
        description=(
            "Each active programme requiring CPD hours that concerns the collector (they hold "
            "a valid or suspended certificate of it, or are assigned it), with its own cycle."
        )
    )


class CollectorDetail(CollectorOut):
    formula_version: str | None = Field(description="The rating formula's version.")
    components: dict[str, Any] = Field(
        description="The score's breakdown by component, as the formula recorded it."
    )
    inputs: dict[str, Any] = Field(description="The facts the score was computed from.")
    explanation: list[str] = Field(
        description="Plain-language reasons for the grade (empty if the formula gives none)."
    )
    computed_at: datetime | None
    history: list[SnapshotOut] = Field(description="The most recent rating changes, newest first.")
    cpd: CpdOut = Field(description="The collector's CPD hours in the current cycle (issue 15).")


class FirmRatingOut(Schema):
    active_collectors: int
    certified_share: float = Field(description="Share of active collectors certified, 0–1.")
    mean_score: float
    findings_per_100: float = Field(description="Confirmed findings per 100 active collectors.")
    grade_counts: dict[str, int] = Field(description="Active collectors by grade.")
    flagged: bool = Field(description="Below an admission threshold: a person will review it.")
    flag_reasons: list[Any]
    formula_version: str
    computed_at: datetime


FirmStatus = Literal["pending", "admitted", "suspended", "banned"]
FLAG_REASONS_DESCRIPTION = (
    "Why the firm is flagged: the rating's reasons (certified_share, findings_per_100, "
    "grade_d_share), admission_expired when its admission decision has lapsed and "
    "condition_overdue when a condition of that decision is unmet past its due date. A flag asks "
    "a person to review the firm; it never changes the status."
)
# Unified social credit codes are 18 digits and capital letters (GB 32100-2015).
CREDIT_CODE_PATTERN = r"^[0-9A-Za-z]{18}$"


class FirmOut(Schema):
    name: str
    credit_code: str = Field(description="Unified social credit code (统一社会信用代码).")
    kind: Literal["lender", "agency"]
    status: FirmStatus
    admission_expires_on: date | None = Field(
        description="When the current admission decision lapses (null: no expiry recorded)."
    )
    admission_expired: bool = Field(
        description="Admitted, but the admission has lapsed: flagged (admission_expired) until "
        "a re-assessment is decided. The status is not changed by it."
    )
    rating: FirmRatingOut | None = Field(
        description="Null until the firm is first rated. Its flag_reasons include "
        "admission_expired when the admission has lapsed and condition_overdue when a condition "
        "of it is overdue."
    )


class FirmStatusOut(Schema):
    """A firm's admission standing as another firm (a contracting lender) may read it."""

    name: str
    credit_code: str = Field(description="Unified social credit code (统一社会信用代码).")
    kind: Literal["lender", "agency"]
    status: FirmStatus
    status_changed_at: datetime | None = Field(
        description="When the status last changed (null: never changed on the platform)."
    )
    ban_category: str | None = Field(
        description="When banned, the category (violent_collection, humiliation, fraud, "
        "data_abuse, other); null otherwise. The reasons themselves are not published."
    )
    admission_expires_on: date | None
    admission_expired: bool
    flagged: bool
    flag_reasons: list[str] = Field(description=FLAG_REASONS_DESCRIPTION)


class ProgrammeOut(Schema):
    code: str
    name: str


class HolderOut(Schema):
    id: int = Field(description="The holder's collector id.")
    name: str = Field(description="Name on the certificate, masked unless personal_data:read.")
    masked: bool
    employee_number: str


class SuspensionOut(Schema):
    category: Literal["law-change", "finding"] = Field(
        description=(
            "Why it is suspended: law-change (a legal update not completed by its deadline) or "
            "finding (a critical audit finding is being decided). The free-text reason is not "
            "published."
        )
    )
    since: datetime = Field(description="When the suspension began.")


class CertificateOut(Schema):
    verification_code: str
    serial: str
    status: Literal["valid", "expired", "revoked", "superseded", "suspended"] = Field(
        description=(
            "valid is reported only while the certificate has not passed its expiry. suspended "
            "is not valid, but reversible: the certificate may become valid again (reinstated) "
            "or be revoked; a suspended certificate past its expiry is expired."
        )
    )
    is_valid: bool = Field(description="True only when status is valid.")
    suspension: SuspensionOut | None = Field(
        description="The suspension in force when status is suspended, else null."
    )
    programme: ProgrammeOut
    score: float = Field(description="Exam score (%).")
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    holder: HolderOut
