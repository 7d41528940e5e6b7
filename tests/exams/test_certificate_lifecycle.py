"""After issuance: daily expiry, the 60/30/7-day reminders, and revocation."""

from __future__ import annotations

import base64
import gzip
import threading
from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from exams.certificates import lifecycle, signals, tasks
from exams.certificates import status_list as status_lists
from exams.certificates.lifecycle import RevocationError
from exams.certificates.models import Certificate, CertificateReminder, CertificateStatus
from tests.conftest import require_service

from .certificate_factories import issue_certificate, make_programme, use_fast_pdf

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch):
    use_fast_pdf(monkeypatch)


@pytest.fixture
def programme(db):
    return make_programme(refresher=True, renewal_exam=True).programme


@pytest.fixture
def status_changes():
    """Every certificate_status_changed sent during the test, as (certificate id, status)."""
    seen = []

    def listen(sender, *, certificate, status, **kwargs):
        seen.append((certificate.pk, status))

    signals.certificate_status_changed.connect(listen, dispatch_uid="test-lifecycle")
    yield seen
    signals.certificate_status_changed.disconnect(dispatch_uid="test-lifecycle")


def certificate_expiring_in(holder, programme, left: timedelta) -> Certificate:
    """A valid certificate with ``left`` to go before it expires."""
    certificate = issue_certificate(holder, programme, now=timezone.now() - 400 * DAY)
    Certificate.objects.filter(pk=certificate.pk).update(expires_at=timezone.now() + left)
    certificate.refresh_from_db()
    return certificate


# --- Expiry ------------------------------------------------------------------------------------


def test_the_daily_job_expires_certificates_past_their_date_once(
    collector, other_collector, programme, status_changes, django_capture_on_commit_callbacks
):
    expired = certificate_expiring_in(collector, programme, -DAY)
    current = certificate_expiring_in(other_collector, programme, 10 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        changed = tasks.expire_certificates.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        changed_again = tasks.expire_certificates.delay().get()

    assert (changed, changed_again) == (1, 0)
    expired.refresh_from_db()
    current.refresh_from_db()
    assert expired.status == CertificateStatus.EXPIRED
    assert abs(expired.status_changed_at - timezone.now()) < timedelta(minutes=1)
    assert current.status == CertificateStatus.VALID
    assert status_changes == [(expired.pk, CertificateStatus.EXPIRED)]


def test_expiry_leaves_revoked_and_superseded_certificates_alone(
    collector, other_collector, programme, auditor
):
    revoked = certificate_expiring_in(collector, programme, -DAY)
    lifecycle.revoke(revoked, by=auditor, reason="稽核发现违规")

    assert lifecycle.expire_certificates() == 0
    revoked.refresh_from_db()
    assert revoked.status == CertificateStatus.REVOKED


def test_expiry_is_one_update_whatever_the_number_of_certificates(programme):
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_user

    for n in range(5):
        certificate_expiring_in(make_user(f"c{n}@example.com", f"催收员{n}"), programme, -DAY)

    # One locked select and one UPDATE of the certificates, then one read of them (and one of
    # their holders' firms) for the audit log's events, one per certificate (the signals run
    # after commit).
    with CaptureQueriesContext(connection) as queries:
        assert lifecycle.expire_certificates() == 5
    statements = [query["sql"] for query in queries.captured_queries]
    reads = [sql for sql in statements if sql.startswith("SELECT") and '"exams_certificate"' in sql]
    writes = [sql for sql in statements if sql.startswith('UPDATE "exams_certificate"')]
    assert (len(reads), len(writes)) == (2, 1)


@pytest.mark.parametrize(
    ("entry", "task", "hours"),
    [
        ("expire-certificates", tasks.expire_certificates, {0}),
        ("send-certificate-expiry-reminders", tasks.send_expiry_reminders, {9}),
        ("email-unsent-certificates", tasks.email_unsent_certificates, set(range(24))),
    ],
)
def test_beat_runs_the_lifecycle_jobs(entry, task, hours):
    scheduled = settings.CELERY_BEAT_SCHEDULE[entry]

    assert scheduled["task"] == task.name
    assert scheduled["task"] in current_app.tasks
    assert scheduled["schedule"].hour == hours
    assert task.acks_late is True


# --- Reminders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "due"),
    [
        (61 * DAY, None),
        (60 * DAY, 60),
        (45 * DAY, 60),
        (30 * DAY, 30),
        (20 * DAY, 30),
        (7 * DAY, 7),
        (timedelta(hours=1), 7),
        (-DAY, None),
    ],
)
def test_the_reminder_due_is_the_nearest_threshold(left, due):
    now = timezone.now()

    assert lifecycle.reminder_due(now + left, now) == due


def test_each_reminder_goes_out_once_at_60_30_and_7_days(
    collector, programme, django_capture_on_commit_callbacks
):
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    certificate = certificate_expiring_in(collector, programme, 90 * DAY)
    start = timezone.now()
    sent = []
    with_days = {}
    # Run the job twice a day for 90 days, as a misconfigured beat might.
    for day in range(91):
        for hour in (9, 21):
            now = start + day * DAY + timedelta(hours=hour - 9)
            before = len(mail.outbox)
            with django_capture_on_commit_callbacks(execute=True):
                lifecycle.send_expiry_reminders(now)
            if len(mail.outbox) > before:
                sent.append(day)
                with_days[day] = mail.outbox[-1]

    assert sent == [30, 60, 83]
    assert sorted(
        CertificateReminder.objects.filter(certificate=certificate).values_list(
            "days_before", flat=True
        )
    ) == [7, 30, 60]
    assert all(message.to == [collector.email] for message in mail.outbox)
    assert "expires in 60 days" in with_days[30].subject
    assert "expires in 7 days" in with_days[83].subject
    assert certificate.serial in with_days[30].body
    assert reverse("certificates:mine") in with_days[30].body


def test_the_task_reminds_today_and_not_again(
    collector, programme, django_capture_on_commit_callbacks
):
    certificate_expiring_in(collector, programme, 59 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.send_expiry_reminders.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.send_expiry_reminders.delay().get()

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1


def test_a_job_that_was_down_sends_only_the_nearest_reminder(
    collector, programme, django_capture_on_commit_callbacks
):
    certificate = certificate_expiring_in(collector, programme, 20 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.send_expiry_reminders()

    assert len(mail.outbox) == 1
    assert list(
        CertificateReminder.objects.filter(certificate=certificate).values_list(
            "days_before", flat=True
        )
    ) == [30]


def test_a_reminder_another_run_claimed_is_not_sent_again(
    collector, programme, django_capture_on_commit_callbacks
):
    certificate = certificate_expiring_in(collector, programme, 25 * DAY)
    CertificateReminder.objects.create(certificate=certificate, days_before=30)

    with django_capture_on_commit_callbacks(execute=True):
        queued = lifecycle.send_expiry_reminders()

    assert queued == 0
    assert mail.outbox == []


def test_reminders_are_in_the_holders_language(
    collector, other_collector, programme, django_capture_on_commit_callbacks
):
    collector.preferred_language = "zh-hans"
    collector.save(update_fields=["preferred_language"])
    other_collector.preferred_language = "en"
    other_collector.save(update_fields=["preferred_language"])
    chinese = certificate_expiring_in(collector, programme, 6 * DAY)
    certificate_expiring_in(other_collector, programme, 6 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.send_expiry_reminders()

    by_recipient = {message.to[0]: message for message in mail.outbox}
    expiry = timezone.localtime(chinese.expires_at).date()
    assert f"{expiry.year}年{expiry.month}月{expiry.day}日" in by_recipient[collector.email].body
    assert "expires on" in by_recipient[other_collector.email].body
    assert "年" not in by_recipient[other_collector.email].body


def test_no_reminder_for_certificates_no_longer_valid(
    collector, programme, auditor, django_capture_on_commit_callbacks
):
    certificate = certificate_expiring_in(collector, programme, 20 * DAY)
    lifecycle.revoke(certificate, by=auditor, reason="稽核发现违规")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.send_expiry_reminders() == 0

    assert mail.outbox == []


def test_a_reminder_the_broker_refused_is_retried_on_the_next_run(
    collector, programme, monkeypatch, django_capture_on_commit_callbacks
):
    from lms.accounts import tasks as account_tasks

    certificate = certificate_expiring_in(collector, programme, 20 * DAY)

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(account_tasks.send_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.send_expiry_reminders()
    assert not CertificateReminder.objects.filter(certificate=certificate).exists()
    monkeypatch.undo()
    use_fast_pdf(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.send_expiry_reminders() == 1

    assert len(mail.outbox) == 1


@pytest.fixture
def _postgresql():
    if connection.vendor != "postgresql":
        require_service(
            "PostgreSQL", "concurrency needs PostgreSQL (SQLite serialises whole transactions)"
        )


# serialized_rollback: the groups and pages the data migrations made are back after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_send_each_reminder_once(_postgresql, collector, programme):
    for n in range(5):
        from tests.conftest import make_user

        certificate_expiring_in(make_user(f"r{n}@example.com", f"催收员{n}"), programme, 25 * DAY)
    mail.outbox.clear()  # the issuance emails
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            lifecycle.send_expiry_reminders()
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert CertificateReminder.objects.count() == 5
    assert len(mail.outbox) == 5


# --- Revocation --------------------------------------------------------------------------------


def revoked_bit(client, certificate: Certificate) -> bool:
    """The certificate's bit in the status list as a verifier reads it: fetch, decode, look."""
    number = status_lists.list_number(certificate.status_index)
    response = client.get(reverse("certificates:status_list", args=[number]))
    assert response.status_code == 200
    encoded = response.json()["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")  # multibase base64url
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    position = status_lists.list_position(certificate.status_index)
    return bool(bits[position // 8] & (0x80 >> (position % 8)))


def test_revoking_updates_the_status_everywhere_and_tells_the_holder(
    client, collector, programme, auditor, status_changes, django_capture_on_commit_callbacks
):
    collector.preferred_language = "en"
    collector.save(update_fields=["preferred_language"])
    certificate = issue_certificate(collector, programme)
    assert not revoked_bit(client, certificate)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.revoke(certificate, by=auditor, reason="  冒充律师催收  ")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revoked_by == auditor
    assert certificate.revocation_reason == "冒充律师催收"
    assert certificate.revoked_at == certificate.status_changed_at
    assert status_changes == [(certificate.pk, CertificateStatus.REVOKED)]
    # The published status list has the certificate's bit set.
    assert revoked_bit(client, certificate)
    # The verification page says so.
    page = client.get(certificate.verification_url).content.decode()
    assert 'data-status="revoked"' in page
    # The holder is told, with the reason.
    (message,) = mail.outbox
    assert message.to == [collector.email]
    assert "has been revoked" in message.subject
    assert "冒充律师催收" in message.body
    assert certificate.serial in message.body


def test_an_expired_certificate_can_be_revoked(collector, programme, auditor):
    certificate = issue_certificate(
        collector, programme, now=timezone.now() - timezone.timedelta(days=800)
    )
    lifecycle.expire_certificates()

    lifecycle.revoke(certificate, by=auditor, reason="事后发现考试作弊")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED


def test_revoking_twice_is_an_error_not_a_second_change(
    collector, programme, auditor, admin_user, django_capture_on_commit_callbacks
):
    certificate = issue_certificate(collector, programme)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.revoke(certificate, by=auditor, reason="第一次")
    first = Certificate.objects.get(pk=certificate.pk)

    with translation.override("en"), pytest.raises(RevocationError, match="already been revoked"):
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.revoke(Certificate.objects.get(pk=certificate.pk), by=admin_user, reason="2")

    again = Certificate.objects.get(pk=certificate.pk)
    assert (again.revoked_at, again.revoked_by, again.revocation_reason) == (
        first.revoked_at,
        auditor,
        "第一次",
    )
    assert len(mail.outbox) == 1


def test_a_reason_is_required(collector, programme, auditor):
    certificate = issue_certificate(collector, programme)

    with pytest.raises(RevocationError):
        lifecycle.revoke(certificate, by=auditor, reason="   ")

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_a_superseded_certificate_cannot_be_revoked(collector, programme, auditor):
    old = issue_certificate(collector, programme, now=timezone.now() - timedelta(days=700))
    issue_certificate(collector, programme, kind="renewal", renews=old)

    with (
        translation.override("en"),
        pytest.raises(RevocationError, match="Only a valid, expired or suspended"),
    ):
        lifecycle.revoke(Certificate.objects.get(pk=old.pk), by=auditor, reason="测试")
