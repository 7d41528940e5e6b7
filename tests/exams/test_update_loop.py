"""The whole loop on PostgreSQL with a real Celery worker on Redis (issue 13, item 6):

a regulations file (the project's own library) brings the 2025 第五十条 superseding the 2012
第四十二条 a programme cites → ``load_regulations`` prints the impact, ``regulation_impact``
lists it → a trainer publishes an update module in the admin → both holders are emailed →
one completes the course over HTTP → refreshed certificate (old superseded, same expiry, new
basis) → the deadline passes (beat's task) → the other is suspended: verification page, the
signed suspension status list (decoded here, checked by the independent verifier), not the
revocation list, the rating, a ``certificate.suspended`` webhook, the platform API → the holder
completes the course → refreshed, suspension ended, ``certificate.reinstated``, bit cleared.

Every task goes through the broker to a worker thread of this process (so ``mail.outbox``
sees its emails); the beat entries are sent by name, as beat sends them. Statute texts are the
library's own (``content/data/regulations.json``), never invented.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.models import Regulation, RegulationChange
from content.regulations import DEFAULT_PATH
from exams.certificates import status_list
from exams.certificates.admin import UPDATE_MODULES
from exams.certificates.models import (
    Certificate,
    CertificateStatus,
    CertificateSuspension,
    IssuanceKind,
    UpdateModule,
)
from lms.celery import app
from lms.compliance.models import CollectorRating, WebhookDelivery, WebhookSubscription
from tests.compliance.api_factories import bearer, issue_token
from tests.compliance.test_webhooks import Receiver
from tests.conftest import signed_in
from tests.courses.pages import add_lesson, lessons_of
from tests.factories import FirmFactory, MembershipFactory
from tests.workers import live_worker, wait_for

from . import vc_verifier
from .certificate_factories import issue_certificate, make_programme, use_fast_pdf
from .credential_fixtures import fetcher
from .factories import make_bank, make_exam, make_question
from .update_factories import update_course

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STATUTE = "治安管理处罚法"
OLD_NO, NEW_NO = "42", "50"  # 2012 第四十二条 → 2025 第五十条 (the library's superseded_by)
EVENTS = ["certificate.issued", "certificate.suspended", "certificate.reinstated"]


@pytest.fixture
def worker(monkeypatch) -> Iterator[dict[str, list[str]]]:
    """A live worker on the configured broker; yields the names of the tasks it received and
    of those that succeeded."""
    use_fast_pdf(monkeypatch)
    with live_worker() as tasks:
        yield tasks


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """The firm's webhook endpoint, on 127.0.0.1."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    server = Receiver()
    yield server
    server.close()


def run_beat_entry(name: str) -> None:
    app.send_task(settings.CELERY_BEAT_SCHEDULE[name]["task"])


def refreshed(certificate: Certificate) -> Certificate | None:
    certificate.refresh_from_db()
    return certificate.superseded_by


# --- The regulations files, from the library ---------------------------------------------------


def library_files(tmp_path) -> tuple[str, str, dict]:
    """(before, after, the new entry): ``after`` is a copy of the library; ``before`` is the
    same without the 2025 第五十条 and without the 2012 第四十二条's ``superseded_by``."""
    entries = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    [old] = [e for e in entries if e["short"] == STATUTE and e["article_no"] == OLD_NO]
    assert old.get("superseded_by") == NEW_NO, "the library no longer has 42 → 50"
    [new] = [
        e
        for e in entries
        if e["short"] == STATUTE and e["article_no"] == NEW_NO and e["version"] != old["version"]
    ]
    before = [
        {k: v for k, v in e.items() if not (e is old and k == "superseded_by")}
        for e in entries
        if e is not new
    ]
    paths = []
    for name, data in (("before.json", before), ("after.json", entries)):
        path = tmp_path / name
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    return paths[0], paths[1], new


def load(path: str) -> str:
    out = StringIO()
    call_command("load_regulations", path, stdout=out)
    return out.getvalue()


def impact_json(**options) -> dict:
    out = StringIO()
    call_command("regulation_impact", format="json", stdout=out, **options)
    return json.loads(out.getvalue())


# --- Independent reading of the status lists ---------------------------------------------------


def list_bit(client, purpose: str, index: int) -> int:
    """Fetch the list holding ``index``, verify its signature independently, decode it
    (multibase ``u`` + base64url + GZIP) and read the bit (bit 7 - i%8 of byte i//8)."""
    number, position = divmod(index, status_list.LIST_SIZE)
    name = "suspension_list" if purpose == "suspension" else "status_list"
    url = reverse(f"certificates:{name}", args=[number])
    if purpose == "suspension":
        assert url == f"/credentials/status/suspension/{number}.json"
    document = client.get(url).json()
    assert document["credentialSubject"]["statusPurpose"] == purpose
    assert vc_verifier.proof_problems(document, fetcher(client), datetime.now(UTC)) == []
    encoded = document["credentialSubject"]["encodedList"]
    assert encoded.startswith("u") and "=" not in encoded
    bits = vc_verifier.decode_list(encoded)
    assert len(bits) * 8 >= 131_072
    return vc_verifier.read_bit(bits, position)


def complete_over_http(user, course) -> None:
    """Enrol and finish every lesson as the learner does, through the lesson pages' forms."""
    learner = Client()
    learner.force_login(user)
    assert learner.post(f"/learning/enrol/{course.pk}/").status_code in (200, 302)
    for lesson in lessons_of(course):
        response = learner.post(f"/learning/complete/{lesson.pk}/", {"next": "stay"})
        assert response.status_code == 302


def delivered(receiver, event: str, code: str) -> bool:
    return any(
        request["headers"].get("X-SSA-Event") == event
        and json.loads(request["body"])["data"]["certificate"]["verification_code"] == code
        for request in list(receiver.requests)
    )


def test_the_whole_update_loop_with_a_real_worker(
    worker, client, trainer, collector, other_collector, receiver, tmp_path
):
    started = time.monotonic()
    before, after, new_entry = library_files(tmp_path)

    # The library as it was: the 2012 第四十二条 in force for this programme.
    load(before)
    old = Regulation.objects.get(short_name=STATUTE, article_no=OLD_NO)
    assert old.superseded_by is None
    firm = FirmFactory(name="阳光资产管理有限公司")
    for holder in (collector, other_collector):
        MembershipFactory(user=holder, firm=firm)
    WebhookSubscription.objects.create(firm=firm, url=receiver.url, events=EVENTS)
    _token, key = issue_token(firm)
    programme = make_programme().programme
    course = programme.required_courses.get()
    lesson = add_lesson(
        course,
        "威胁人身安全（旧法）",
        slug="threats-2012",
        body=[{"type": "citation", "value": {"regulation": old.pk, "note": ""}}],
    )
    bank = make_bank("治安管理处罚法题库")
    question = make_question(bank, regulation=old)
    programme.final_exam = make_exam([{"bank": bank, "count": 1}], title="治安管理处罚法考试")
    programme.save()
    # Earned months before the change, as in the real case: each holder's deadline is then the
    # module's, not 90 days from a certificate issued yesterday.
    earned = timezone.now() - timedelta(days=120)
    first = issue_certificate(collector, programme, now=earned)
    second = issue_certificate(other_collector, programme, now=earned)
    assert set(first.basis.all()) == set(second.basis.all()) == {old}
    assert wait_for(lambda: CollectorRating.objects.filter(certificate_status="valid").count() == 2)

    # The library copy brings the 2025 第五十条, superseding it: one line of impact.
    out = load(after)
    assert "regulations: 1 created, 0 updated" in out
    assert (
        "impact: 1 supersession, 0 corrections — 1 lesson, 1 question, 1 programme, "
        "2 valid certificates (details: manage.py regulation_impact)"
    ) in out
    new = Regulation.objects.get(short_name=STATUTE, article_no=NEW_NO)
    assert new.text == new_entry["text"]  # the library's text, not ours
    change = RegulationChange.objects.get(old=old)
    assert (change.kind, change.new) == (RegulationChange.Kind.SUPERSEDED, new)
    [listed] = impact_json()["supersessions"]
    assert (listed["id"], listed["old"]["id"], listed["new"]["id"]) == (change.pk, old.pk, new.pk)
    assert listed["counts"] == {"lessons": 1, "questions": 1, "programmes": 1, "certificates": 2}
    assert [item["id"] for item in listed["lessons"]] == [lesson.pk]
    assert [item["id"] for item in listed["questions"]] == [question.pk]
    [affected] = listed["programmes"]
    assert (affected["code"], affected["certificates"]) == (programme.code, 2)
    assert set(affected["reasons"]) == {"course", "exam", "certificates"}

    # A trainer publishes the update module in the admin (default deadline).
    update = update_course(change)
    signed_in(client, trainer)
    response = client.post(
        reverse(f"{UPDATE_MODULES}:add"),
        {"programme": programme.pk, "change": change.pk, "course": update.pk, "deadline": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    module = UpdateModule.objects.get()
    assert module.created_by == trainer and module.deadline is None
    deadline = module.effective_deadline
    assert deadline == max(module.published_on, change.takes_effect) + timedelta(days=90)

    # Beat's sweep emails both holders, once.
    def notices():
        return [m for m in mail.outbox if module.course.url in m.body]

    run_beat_entry("notify-update-module-holders")
    assert wait_for(lambda: len(notices()) == 2)
    run_beat_entry("notify-update-module-holders")
    time.sleep(1)
    assert sorted(m.to[0] for m in notices()) == sorted([collector.email, other_collector.email])
    assert all(f"{deadline.year}年" in m.subject for m in notices())

    # One completes the course in time, over HTTP: a refreshed certificate, from the worker.
    complete_over_http(collector, module.course)
    assert wait_for(lambda: refreshed(first) is not None)
    new_first = first.superseded_by
    assert first.status == CertificateStatus.SUPERSEDED
    assert new_first.status == CertificateStatus.VALID
    assert new_first.expires_at == first.expires_at
    assert new_first.request.kind == IssuanceKind.REFRESH
    assert set(new_first.basis.all()) == {new}

    # The deadline passes; beat's daily task suspends the other, still on the old basis.
    module.deadline = timezone.localdate() - timedelta(days=1)
    module.save(update_fields=["deadline"])
    run_beat_entry("suspend-overdue-update-modules")
    assert wait_for(
        lambda: Certificate.objects.get(pk=second.pk).status == CertificateStatus.SUSPENDED
    )
    second.refresh_from_db()
    suspension = second.suspensions.get()
    assert suspension.category == CertificateSuspension.Category.LAW_CHANGE
    assert suspension.update_module == module
    new_first.refresh_from_db()
    assert new_first.status == CertificateStatus.VALID  # the refreshed one is not touched

    # ... the public verification page says so,
    anonymous = Client()
    page = anonymous.get(second.verification_url).content.decode()
    assert 'data-status="suspended"' in page and "已暂停" in page
    # ... the signed suspension list has its bit, the revocation list does not,
    assert list_bit(anonymous, "suspension", second.status_index) == 1
    assert list_bit(anonymous, "revocation", second.status_index) == 0
    assert list_bit(anonymous, "suspension", new_first.status_index) == 0
    verified = vc_verifier.verify_credential(
        anonymous.get(second.credential_url).json(), fetcher(anonymous)
    )
    assert (verified.problems, verified.revoked, verified.suspended) == (["suspended"], False, True)
    # ... the rating treats it as not valid (the event's recompute, then the nightly one),
    assert wait_for(
        lambda: CollectorRating.objects.get(user=other_collector).certificate_status == "suspended"
    )
    run_beat_entry("recompute-all-ratings")
    nightly = "lms.compliance.tasks.ratings.recompute_all_ratings"
    assert wait_for(lambda: nightly in worker["succeeded"])
    rated = client.get(f"/api/v1/collectors/{other_collector.pk}", **bearer(key)).json()
    assert rated["certificate_status"] == "suspended"
    assert CollectorRating.objects.get(user=collector).certificate_status == "valid"
    # ... the firm's endpoint hears of it,
    assert wait_for(lambda: delivered(receiver, "certificate.suspended", second.verification_code))
    [hook] = WebhookDelivery.objects.filter(event="certificate.suspended")
    assert hook.payload["data"]["certificate"]["suspension"]["category"] == "law-change"
    # ... and the platform API reports it.
    api_url = f"/api/v1/certificates/{quote(second.verification_code)}"
    data = client.get(api_url, **bearer(key)).json()
    assert (data["status"], data["is_valid"]) == ("suspended", False)
    assert data["suspension"]["category"] == "law-change"

    # The holder completes the course: refreshed, valid again, the suspension over.
    complete_over_http(other_collector, module.course)
    assert wait_for(lambda: refreshed(second) is not None)
    new_second = second.superseded_by
    assert second.status == CertificateStatus.SUPERSEDED
    assert new_second.status == CertificateStatus.VALID
    assert new_second.expires_at == second.expires_at
    assert set(new_second.basis.all()) == {new}
    suspension.refresh_from_db()
    assert suspension.ended_at is not None
    assert suspension.outcome == CertificateSuspension.Outcome.REFRESHED
    assert wait_for(
        lambda: delivered(receiver, "certificate.reinstated", new_second.verification_code)
    )
    assert list_bit(anonymous, "suspension", second.status_index) == 0
    assert list_bit(anonymous, "suspension", new_second.status_index) == 0
    data = client.get(f"/api/v1/certificates/{quote(new_second.verification_code)}", **bearer(key))
    assert (data.json()["status"], data.json()["is_valid"]) == ("valid", True)
    assert wait_for(
        lambda: CollectorRating.objects.get(user=other_collector).certificate_status == "valid"
    )
    assert Certificate.objects.filter(status=CertificateStatus.VALID).count() == 2
    [listed] = impact_json(change=change.pk)["supersessions"]
    assert listed["counts"]["certificates"] == 0  # none left on the old basis

    assert {
        "exams.certificates.tasks.notify_update_holders",
        "exams.certificates.tasks.suspend_overdue_updates",
        "exams.certificates.tasks.issue_certificate",
        "lms.compliance.tasks.webhooks.deliver_webhook",
    } <= set(worker["received"])
    assert time.monotonic() - started < 60  # about 5 s here: nothing waits for a timeout
