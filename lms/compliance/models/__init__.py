"""Compliance models: audit findings, ratings, the platform API's tokens, webhooks, and the log
of who viewed whose personal data."""

from .api import ApiScope, ApiToken
from .findings import (
    Appeal,
    AppealOutcome,
    Finding,
    FindingCategory,
    FindingEvidence,
    FindingSource,
    FindingStatus,
    FindingSuspension,
    Severity,
)
from .privacy import PersonalDataAccess
from .ratings import CollectorRating, FirmRating, FirmRatingSnapshot, Grade, RatingSnapshot
from .reports import MonthlyReport
from .webhooks import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "ApiScope",
    "ApiToken",
    "Appeal",
    "AppealOutcome",
    "CollectorRating",
    "Finding",
    "FindingCategory",
    "FindingEvidence",
    "FindingSource",
    "FindingStatus",
    "FindingSuspension",
    "FirmRating",
    "FirmRatingSnapshot",
    "Grade",
    "MonthlyReport",
    "PersonalDataAccess",
    "RatingSnapshot",
    "Severity",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
