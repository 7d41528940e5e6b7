"""Exam models: question banks (bank.py), exam pages (exam.py), attempts (attempt.py).

Certificates live in the certification app (``exams.certificates.models``)."""

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
from .exam import ExamIndexPage, ExamPage, ExamRule, ReviewPolicy

__all__ = [
    "Attempt",
    "AttemptQuestion",
    "AttemptStatus",
    "Choice",
    "Difficulty",
    "ExamIndexPage",
    "ExamPage",
    "ExamRule",
    "Question",
    "QuestionBank",
    "QuestionCategory",
    "QuestionType",
    "QuestionVersion",
    "ReviewPolicy",
]
