"""Certificates of attendance: issued when a session of an event that gives them is closed,
exactly once per attendance, as a one-page PDF through the certificate renderer, verifiable at
/verify/ by its unguessable code only (never by the sequential serial printed on it), and
downloadable by their holder only.

Sessions are closed here by sending ``content.signals.session_closed`` after setting the states
with ``Registration.change_state`` (as closing a session does), so these tests do not depend on
the check-in branch's ``close_session``.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from content.models import RegistrationState
from content.signals import session_closed
from exams.certificates import attendance, issuance
from exams.certificates.models import AttendanceCertificate
from exams.certificates.pdf import CertificateDocument, certificate_html
from tests.compliance.dashboard_factories import make_collector
from tests.content.attendance_builders import register
from tests.exams.certificate_factories import issue_certificate, make_programme, use_fast_pdf
from tests.factories import FirmFactory, make_session

S = RegistrationState


def close(session, django_capture_on_commit_callbacks) -> None:
    """Close the session as the trainer's screen does: closed_at set and the signal sent in the
    transaction; the certificates follow after it commits (tasks run eagerly in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            session.closed_at = timezone.now()
            session.save(update_fields=["closed_at"])
            session_closed.send(sender=type(session), session=session, actor=None)


@pytest.fixture
def summit(db):
    session = make_session(hours=3, venue="国际会议中心 5 楼")
    page = session.page
    page.attendance_certificates = True
    page.save()
    firm = FirmFactory()
    people = {
        state: make_collector(firm, f"参会者{number}") for number, state in enumerate(S.values)
    }
    people[S.ATTENDED].legal_name = "欧阳小明"
    people[S.ATTENDED].save()
    for state, user in people.items():
        register(session, user, firm, state, hours="1.5")
    return {"session": session, "people": people, "firm": firm}


def test_closing_issues_one_certificate_per_attendance(summit, django_capture_on_commit_callbacks):
    close(summit["session"], django_capture_on_commit_callbacks)
    certificates = {c.holder_id: c for c in AttendanceCertificate.objects.all()}
    attended, partly = summit["people"][S.ATTENDED], summit["people"][S.PARTLY_ATTENDED]
    assert set(certificates) == {attended.pk, partly.pk}
    full = certificates[attended.pk]
    assert full.hours == Decimal("3.00")
    assert certificates[partly.pk].hours == Decimal("1.50")
    assert full.holder_name == "欧阳小明"
    assert full.event_title == summit["session"].page.title
    assert full.place == "国际会议中心 5 楼"
    assert attendance.is_valid_serial(full.serial)
    assert full.pdf.name.startswith(
        f"certificates/attendance/{timezone.localdate():%Y}/{full.serial}"
    )


def test_closing_twice_still_gives_one_certificate_each(summit, django_capture_on_commit_callbacks):
    close(summit["session"], django_capture_on_commit_callbacks)
    first = dict(AttendanceCertificate.objects.values_list("pk", "serial"))
    close(summit["session"], django_capture_on_commit_callbacks)
    assert attendance.issue_for_session(summit["session"].pk) == []  # a redelivered task
    assert dict(AttendanceCertificate.objects.values_list("pk", "serial")) == first
    assert len(first) == 2


def test_a_correction_to_attended_after_closing_is_issued_on_the_next_run(
    summit, django_capture_on_commit_callbacks
):
    close(summit["session"], django_capture_on_commit_callbacks)
    no_show = summit["people"][S.NO_SHOW].event_registrations.get()
    with transaction.atomic():
        no_show.change_state(S.ATTENDED, via="trainer", reason="扫码失败")
    issued = attendance.issue_for_session(summit["session"].pk)
    assert [c.holder_id for c in issued] == [summit["people"][S.NO_SHOW].pk]
    assert AttendanceCertificate.objects.count() == 3


def test_no_certificates_for_an_event_without_the_option(db, django_capture_on_commit_callbacks):
    session = make_session()
    firm = FirmFactory()
    register(session, make_collector(firm, "参会者"), firm, S.ATTENDED)
    close(session, django_capture_on_commit_callbacks)
    assert AttendanceCertificate.objects.count() == 0
    assert attendance.issue_for_session(session.pk) == []


def test_no_certificates_before_the_session_is_closed(summit):
    assert attendance.issue_for_session(summit["session"].pk) == []
    assert AttendanceCertificate.objects.count() == 0


def test_the_sweep_finds_closed_sessions_still_missing_certificates(summit):
    session = summit["session"]
    session.closed_at = timezone.now() - attendance.SWEEP_AFTER * 2
    session.save(update_fields=["closed_at"])  # closed, but the task never ran
    assert attendance.sessions_missing_certificates() == [session.pk]
    from exams.certificates.tasks import sweep_attendance_certificates

    assert sweep_attendance_certificates() == 1
    assert AttendanceCertificate.objects.count() == 2
    assert attendance.sessions_missing_certificates() == []


def test_the_pdf_is_one_page_with_the_attendance_wording(
    summit, django_capture_on_commit_callbacks
):
    close(summit["session"], django_capture_on_commit_callbacks)
    certificate = AttendanceCertificate.objects.get(holder=summit["people"][S.ATTENDED])
    with certificate.pdf.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "参会证明" in text.replace(" ", "")  # the title is letter-spaced
    assert certificate.serial in text
    assert "欧阳小明" in text


def test_the_attendance_variant_html_has_the_session_hours_and_qr():
    document = CertificateDocument(
        holder_name="张三",
        programme_name="2026 合规催收峰会",
        score_percent=None,
        issued_on=timezone.localdate(),
        expires_on=None,
        serial="SSAA-2026-000001-X",
        verification_url="https://example.com/verify/abc/",
        variant="attendance",
        session_label="2026年12月14日 14:00–17:00 · 国际会议中心",
        hours=Decimal("3.00"),
    )
    html = certificate_html(document)
    assert "参会证明" in html and "Certificate of attendance" in html
    assert "国际会议中心" in html and ">3<" in html
    assert "data:image/png;base64," in html
    assert "Examination score" not in html


def test_verify_finds_it_by_code_with_the_name_masked(
    client, summit, django_capture_on_commit_callbacks
):
    close(summit["session"], django_capture_on_commit_callbacks)
    certificate = AttendanceCertificate.objects.get(holder=summit["people"][S.ATTENDED])
    response = client.get(f"/verify/{certificate.verification_code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-attendance-certificate" in html
    assert 'data-status="attendance"' in html
    assert "欧**明" in html and "欧阳小明" not in html
    assert certificate.event_title in html
    assert certificate.serial in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_verify_refuses_a_wrong_code(client, summit, django_capture_on_commit_callbacks):
    close(summit["session"], django_capture_on_commit_callbacks)
    assert client.get("/verify/not-a-real-code/").status_code == 404


def test_a_valid_serial_is_not_a_verification_code(
    client, summit, django_capture_on_commit_callbacks, monkeypatch
):
    """Serials are sequential with a public check character: looking certificates up by them
    would let anyone walk through every certificate of attendance and every certification."""
    use_fast_pdf(monkeypatch)
    close(summit["session"], django_capture_on_commit_callbacks)
    attended = AttendanceCertificate.objects.get(holder=summit["people"][S.ATTENDED])
    made = make_programme()
    certification = issue_certificate(summit["people"][S.ATTENDED], made.programme)
    assert attendance.is_valid_serial(attended.serial)
    assert issuance.is_valid_serial(certification.serial)
    for serial in (attended.serial, attended.serial.lower(), certification.serial):
        response = client.get(f"/verify/{serial}/")
        assert response.status_code == 404, serial
        assert attended.event_title not in response.content.decode()
    # The codes still work.
    assert client.get(f"/verify/{attended.verification_code}/").status_code == 200
    assert client.get(f"/verify/{certification.verification_code}/").status_code == 200


def test_the_holder_lists_and_downloads_it_and_nobody_else_can(
    client, summit, django_capture_on_commit_callbacks, other_collector, manager
):
    close(summit["session"], django_capture_on_commit_callbacks)
    holder = summit["people"][S.ATTENDED]
    certificate = AttendanceCertificate.objects.get(holder=holder)
    url = f"/certificates/attendance/{certificate.pk}/pdf/"
    assert client.get(url).status_code == 302  # sign in first

    client.force_login(holder)
    page = client.get("/certificates/").content.decode()
    assert f'data-attendance-certificate="{certificate.serial}"' in page
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert certificate.serial in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    for user in (other_collector, manager, summit["people"][S.PARTLY_ATTENDED]):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(holder)
    assert client.get("/certificates/attendance/999999/pdf/").status_code == 404
