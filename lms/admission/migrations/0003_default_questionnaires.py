"""The first published checklists, one for agencies (处置方) and one for lenders (委托方), so the
application page works on a fresh install. Reviewers change them by publishing new versions.

Points and weights follow the published scoring method (``lms/admission/scoring.py``).
Blocker answers force rejection: a confirmed record of violent or humiliating collection, or of
unlawful use of personal information.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

# (section title, weight, [(question, kind, weight, evidence, [(option, points, blocker)] or
#   (metric, zero, full) for metric questions)])
AGENCY = [
    ("企业基本情况", 2, [
        ("企业是否持有有效营业执照，且经营范围包含催收或相关服务？", "choice", 3, "required", [
            ("是，经营范围明确包含", 100, False),
            ("是，但经营范围表述不完全对应", 50, False),
            ("否", 0, False),
        ]),
        ("近三年企业及其负责人是否受过行政处罚或被追究刑事责任？", "choice", 3, "optional", [
            ("无", 100, False),
            ("有行政处罚，已整改完毕", 40, False),
            ("有经确认的暴力、威胁或侮辱催收记录", 0, True),
        ]),
        ("是否发生过非法获取、出售或泄露个人信息的事件？", "choice", 3, "optional", [
            ("无", 100, False),
            ("有经确认的记录", 0, True),
        ]),
    ]),
    ("软硬件能力", 2, [
        ("电话催收是否全程录音并留存？", "choice", 2, "required", [
            ("全部通话录音，留存不少于两年并可检索", 100, False),
            ("部分通话录音", 40, False),
            ("不录音", 0, False),
        ]),
        ("外访催收是否配备执法记录仪并全程记录？", "choice", 2, "optional", [
            ("全部外访全程记录", 100, False),
            ("部分外访记录", 40, False),
            ("不记录或不开展外访", 60, False),
        ]),
        ("质检与投诉处理机制", "judgement", 2, "optional", None),
    ]),
    ("合作历史", 1, [
        ("与金融机构的合作年限", "choice", 1, "optional", [
            ("三年以上", 100, False),
            ("一至三年", 70, False),
            ("不足一年", 40, False),
        ]),
        ("委托方评价与合作记录", "judgement", 2, "optional", None),
    ]),
    ("培训就绪度（平台数据，复评适用）", 2, [
        ("在岗催收员持有效证书的比例（%）", "metric", 3, "none", ("certified_share", 50, 100)),
        ("每百名催收员经确认的稽核发现（近365天）", "metric", 2, "none", ("findings_per_100", 10, 0)),
        ("每百名催收员逾期未完成的培训任务", "metric", 1, "none", ("overdue_per_100", 20, 0)),
    ]),
]
LENDER = [
    ("企业基本情况", 2, [
        ("是否持有金融监管部门颁发的有效经营许可或批复？", "choice", 3, "required", [
            ("是", 100, False),
            ("否", 0, False),
        ]),
        ("近三年是否因催收相关问题受到监管处罚？", "choice", 2, "optional", [
            ("无", 100, False),
            ("有，已整改完毕", 50, False),
            ("有经确认的纵容暴力催收记录", 0, True),
        ]),
    ]),
    ("委外催收管理", 2, [
        ("是否建立委外催收机构准入、考核与退出制度？", "choice", 2, "required", [
            ("已建立并执行", 100, False),
            ("已建立，尚未全面执行", 50, False),
            ("未建立", 0, False),
        ]),
        ("对催收机构的日常监督与投诉处理", "judgement", 2, "optional", None),
    ]),
]


def create(apps, schema_editor):
    Questionnaire = apps.get_model("admission", "Questionnaire")
    Section = apps.get_model("admission", "Section")
    Question = apps.get_model("admission", "Question")
    AnswerOption = apps.get_model("admission", "AnswerOption")
    for kind, title, sections in (
        ("agency", "催收机构准入尽调问卷", AGENCY),
        ("lender", "委托方准入尽调问卷", LENDER),
    ):
        if Questionnaire.objects.filter(firm_kind=kind).exists():
            continue
        questionnaire = Questionnaire.objects.create(
            firm_kind=kind, title=title, version=1, status="published",
            published_at=timezone.now(),
        )
        for s_order, (s_title, s_weight, questions) in enumerate(sections):
            section = Section.objects.create(
                questionnaire=questionnaire, title=s_title, weight=s_weight, sort_order=s_order
            )
            for q_order, (text, q_kind, weight, evidence, detail) in enumerate(questions):
                question = Question.objects.create(
                    section=section, text=text, kind=q_kind, weight=weight, evidence=evidence,
                    sort_order=q_order,
                )
                if q_kind == "metric":
                    metric, zero, full = detail
                    question.metric = metric
                    question.metric_zero = Decimal(zero)
                    question.metric_full = Decimal(full)
                    question.save()
                for o_order, (label, points, blocker) in enumerate(detail if q_kind == "choice" else []):
                    AnswerOption.objects.create(
                        question=question, label=label, points=Decimal(points),
                        is_blocker=blocker, sort_order=o_order,
                    )


def remove(apps, schema_editor):
    Questionnaire = apps.get_model("admission", "Questionnaire")
    Questionnaire.objects.filter(version=1, applications__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("admission", "0002_admission_reviewers")]

    operations = [migrations.RunPython(create, remove)]
