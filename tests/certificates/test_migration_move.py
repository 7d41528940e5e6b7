"""The move of certification into its own app keeps an existing database's data.

Before the move, programmes and assignments were ``courses`` models and issuance requests,
certificates and reminders were ``exams`` models. This test migrates a database back to that
schema, writes one of everything through the historical models (with a group permission on
certificates), migrates forward and reads it all back through the ``certificates`` models:
rows, foreign keys, the many-to-many courses, content types (the same rows, relabelled) and the
group's permissions.

It needs real migrations, so it is transactional (with ``serialized_rollback``, as the other
transactional tests here). It runs on PostgreSQL (as CI does) and on
SQLite alike: the move is state-only, so neither backend's schema editor is exercised beyond
the content-type data migration.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from exams.certificates.models import (
    Certificate,
    CertificateReminder,
    CertificationProgramme,
    IssuanceRequest,
    ProgrammeAssignment,
)
from lms.accounts.models import User
from tests.courses.pages import make_course
from tests.exams.certificate_factories import make_exam_with_questions
from tests.factories import FirmFactory

# serialized_rollback: the pages and groups the data migrations made are back after an earlier
# transactional test's flush, and this test's own flush leaves no stray content types behind.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [
    ("courses", "0002_programmes_and_assignments"),
    ("exams", "0006_exam_open_to_anyone"),
    ("certificates", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The state at those migrations (an app migrated to zero has no node to name).
    return executor.loader.project_state([node for node in targets if node[1]]).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_existing_data_survives_the_move_to_the_certificates_app():
    # Pages, people and firms are not moved: they are made with today's models first.
    courses = [make_course(slug="mv-a", title="课程甲"), make_course(slug="mv-b", title="课程乙")]
    exam = make_exam_with_questions(title="迁移考试")
    holder = User.objects.create_user(email="holder@example.test", password="x", legal_name="张三")
    auditor = User.objects.create_user(email="audit@example.test", password="x")
    firm = FirmFactory(name="迁移资产")
    now = timezone.now()

    old = _migrate(BEFORE)
    OldContentType = old.get_model("contenttypes", "ContentType")
    old_types = {
        (ct.app_label, ct.model): ct.pk
        for ct in OldContentType.objects.filter(
            model__in=[
                "certificationprogramme",
                "programmeassignment",
                "issuancerequest",
                "certificate",
                "certificatereminder",
            ]
        )
    }
    assert ("exams", "certificate") in old_types  # exams.0005 granted permissions on it
    assert ("courses", "certificationprogramme") in old_types
    assert not any(label == "certificates" for label, _ in old_types)

    Programme = old.get_model("courses", "CertificationProgramme")
    Assignment = old.get_model("courses", "ProgrammeAssignment")
    Attempt = old.get_model("exams", "Attempt")
    Request = old.get_model("exams", "IssuanceRequest")
    OldCertificate = old.get_model("exams", "Certificate")
    Reminder = old.get_model("exams", "CertificateReminder")
    OldGroup = old.get_model("auth", "Group")
    OldPermission = old.get_model("auth", "Permission")

    programme = Programme.objects.create(
        name="迁移项目", code="move", final_exam_id=exam.pk, refresher_course_id=courses[1].pk
    )
    programme.required_courses.set([course.pk for course in courses])
    assignment = Assignment.objects.create(
        user_id=holder.pk,
        programme=programme,
        firm_id=firm.pk,
        assigned_by_id=auditor.pk,
        due_on=now.date() + timedelta(days=30),
    )
    attempt = Attempt.objects.create(
        user_id=holder.pk,
        exam_id=exam.pk,
        number=1,
        seed=7,
        status="submitted",
        started_at=now - timedelta(minutes=30),
        deadline=now,
        submitted_at=now - timedelta(minutes=1),
        score=Decimal("9"),
        max_score=Decimal("10"),
        percent=Decimal("90"),
        passed=True,
    )
    request = Request.objects.create(
        holder_id=holder.pk, programme=programme, attempt=attempt, completed_at=now
    )
    certificate = OldCertificate.objects.create(
        request=request,
        holder_id=holder.pk,
        programme=programme,
        serial="SSA-2026-000001-X",
        holder_name="张三",
        programme_name="迁移项目",
        score=Decimal("90"),
        issued_at=now,
        expires_at=now + timedelta(days=730),
        status_index=1,
        pdf="certificates/2026/move.pdf",
    )
    reminder = Reminder.objects.create(certificate=certificate, days_before=60)
    group = OldGroup.objects.create(name="迁移稽核")
    group.permissions.add(
        OldPermission.objects.get(content_type__app_label="exams", codename="revoke_certificate"),
        OldPermission.objects.get(
            content_type__app_label="courses", codename="change_certificationprogramme"
        ),
    )
    User.groups.through.objects.create(user_id=auditor.pk, group_id=group.pk)

    _migrate(_latest())

    moved = CertificationProgramme.objects.get(pk=programme.pk)
    assert moved.name == "迁移项目"
    assert moved.final_exam_id == exam.pk and moved.refresher_course_id == courses[1].pk
    assert sorted(moved.required_courses.values_list("pk", flat=True)) == sorted(
        course.pk for course in courses
    )
    assert ProgrammeAssignment.objects.get(pk=assignment.pk).programme == moved
    assert ProgrammeAssignment.objects.open().filter(firm=firm).count() == 1
    new_request = IssuanceRequest.objects.get(pk=request.pk)
    assert new_request.attempt_id == attempt.pk and new_request.programme == moved
    new_certificate = Certificate.objects.get(pk=certificate.pk)
    assert new_certificate.request == new_request
    assert new_certificate.holder == holder
    assert new_certificate.pdf.name == "certificates/2026/move.pdf"
    assert CertificateReminder.objects.get(pk=reminder.pk).certificate == new_certificate
    assert list(moved.certificates.all()) == [new_certificate]

    # The same content type rows, relabelled: nothing that points at them was orphaned.
    for model, old_label in [
        (CertificationProgramme, "courses"),
        (ProgrammeAssignment, "courses"),
        (IssuanceRequest, "exams"),
        (Certificate, "exams"),
        (CertificateReminder, "exams"),
    ]:
        # Read from the table, not ContentType's cache (left warm on purpose: a cleared cache
        # would make the next serialized_rollback test create rows while it restores them).
        content_type = ContentType.objects.get(
            app_label="certificates", model=model._meta.model_name
        )
        assert content_type.pk == old_types[(old_label, model._meta.model_name)]
        assert ContentType.objects.get_for_id(content_type.pk).model_class() is model
    assert not ContentType.objects.filter(
        app_label__in=["courses", "exams"],
        model__in=["certificationprogramme", "certificate", "issuancerequest"],
    ).exists()

    auditor = User.objects.get(pk=auditor.pk)  # a fresh permission cache
    assert auditor.has_perm("certificates.revoke_certificate")
    assert auditor.has_perm("certificates.change_certificationprogramme")
    assert (
        Group.objects.get(name="Auditors")
        .permissions.filter(content_type__app_label="certificates", codename="view_certificate")
        .exists()
    )
    assert Permission.objects.filter(codename="revoke_certificate").count() == 1
