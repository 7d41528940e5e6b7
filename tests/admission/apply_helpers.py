"""Building and posting the application pages' forms as a browser would (shared by the
public and admin application tests)."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lms.admission.models import Application, Question, QuestionKind
from tests import upload_samples as samples
from tests.factories import credit_code

CODE = credit_code(424242)


def start_data(**overrides: Any) -> dict[str, Any]:
    return {
        "firm_kind": "agency",
        "firm_name": "明镜资产管理有限公司",
        "credit_code": CODE,
        "contact_name": "林申请",
        "contact_email": "apply@example.com",
        **overrides,
    }


def link_in(body: str) -> str:
    """The path of the secret link in an email body."""
    match = re.search(r"https?://[^/\s]+(/firms/apply/r/[^\s]+/)", body)
    assert match, body
    return match.group(1)


def pdf(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.PDF, "application/pdf")


def page_data(application: Application, *, licence: bool = True, **overrides: Any) -> dict:
    """A complete, valid edit page for ``application``: every field filled, one reference,
    the business licence, the first option of every choice question and evidence wherever a
    question takes it."""
    data: dict[str, Any] = {
        "basics-firm_name": application.firm_name,
        "basics-credit_code": application.credit_code,
        "basics-legal_representative": "林法人",
        "basics-registered_address": "上海市浦东新区世纪大道1号",
        "basics-registered_capital": "1000",
        "basics-contact_name": application.contact_name,
        "basics-contact_email": application.contact_email,
        "basics-contact_phone": "13800000000",
        "licence-kind": "business",
        "action": "save",
    }
    if application.firm_kind == "agency":
        data.update(
            {
                "basics-channels": ["phone", "sms"],
                "basics-staff_count": "80",
                "basics-call_recording": "full",
                "basics-field_recording": "partial",
                "basics-recording_details": "呼叫中心系统全程录音，执法记录仪20台",
                "references-TOTAL_FORMS": "1",
                "references-INITIAL_FORMS": "0",
                "references-MIN_NUM_FORMS": "0",
                "references-MAX_NUM_FORMS": "30",
                "references-0-lender_name": "晨光消费金融",
                "references-0-lender_credit_code": "",
                "references-0-from_year": "2021",
                "references-0-to_year": "",
                "references-0-contact": "",
            }
        )
    if licence:
        data["licence-file"] = pdf()
    for question in Question.objects.filter(section__questionnaire=application.questionnaire):
        if question.kind == QuestionKind.CHOICE:
            data[f"answers-q{question.pk}-option"] = str(question.options.first().pk)
        if question.kind != QuestionKind.METRIC:
            data[f"answers-q{question.pk}-comment"] = ""
        if question.evidence == "required":
            data[f"answers-q{question.pk}-evidence"] = pdf(f"evidence-{question.pk}.pdf")
    data.update(overrides)
    return data
