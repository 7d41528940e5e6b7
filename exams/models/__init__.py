"""Exam models: question banks (bank.py), exam pages (exam.py), attempts (attempt.py),
certificates (certificate.py)."""

from .attempt import Attempt, AttemptQuestion, AttemptStatus
from .bank import (
    Choice,
    Difficulty,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionType,
    QuestionVersion,
)
from .certificate import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    IssuanceKind,
    IssuanceRequest,
)
from .exam import ExamIndexPage, ExamPage, ExamRule, ReviewPolicy

__all__ = [
    "Attempt",
    "AttemptQuestion",
    "AttemptStatus",
    "Certificate",
    "CertificateReminder",
    "CertificateStatus",
    "Choice",
    "Difficulty",
    "ExamIndexPage",
    "ExamPage",
    "ExamRule",
    "IssuanceKind",
    "IssuanceRequest",
    "Question",
    "QuestionBank",
    "QuestionCategory",
    "QuestionType",
    "QuestionVersion",
    "ReviewPolicy",
]
