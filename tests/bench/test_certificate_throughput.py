"""Certificate issuance throughput: N certificates through Redis with one worker (issue 5).

Not a timed test: it prints certificates per second (``BENCH certificate_issuance ...``) and
asserts only that every request became exactly one certificate with its PDF. The worker is one
``celery worker`` process (prefork, concurrency 1 by default; ``CERT_BENCH_CONCURRENCY`` to
change it) on the pytest-django test database, which must be PostgreSQL. ``CERT_BENCH_COUNT``
sets N (default 1,000).

Run with ``make bench`` (needs ``DATABASE_URL`` for PostgreSQL and ``CELERY_BROKER_URL``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from exams.certificates.models import Certificate, CertificationProgramme, IssuanceRequest
from exams.certificates.tasks import issue_certificate
from exams.models import Attempt, AttemptStatus
from lms.accounts.models import User
from lms.celery import app
from tests.exams.factories import fill_bank, make_bank, make_exam

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

COUNT = int(os.environ.get("CERT_BENCH_COUNT", "1000"))
CONCURRENCY = int(os.environ.get("CERT_BENCH_CONCURRENCY", "1"))
BASE_DIR = Path(settings.BASE_DIR)


def issuance_requests(count: int) -> list[int]:
    """``count`` collectors who each passed the exam, with their open issuance requests."""
    bank = make_bank()
    fill_bank(bank, 1)
    exam = make_exam([{"bank": bank, "count": 1}])
    programme = CertificationProgramme.objects.create(
        name="合规催收从业资格", code="bench-programme", final_exam=exam
    )
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=f"bench{n}@example.com", legal_name=f"欧阳{n:04d}号") for n in range(count)
    )
    attempts = Attempt.objects.bulk_create(
        Attempt(
            user=user,
            exam=exam,
            number=1,
            seed=n,
            status=AttemptStatus.SUBMITTED,
            started_at=now,
            deadline=now,
            submitted_at=now,
            score=Decimal("1"),
            max_score=Decimal("1"),
            percent=Decimal("95.00"),
            passed=True,
        )
        for n, user in enumerate(users)
    )
    requests = IssuanceRequest.objects.bulk_create(
        IssuanceRequest(holder=a.user, programme=programme, attempt=a) for a in attempts
    )
    return [r.pk for r in requests]


def test_issue_certificates_through_redis_with_one_worker(report):
    broker_url = os.environ.get("CELERY_BROKER_URL")
    if not broker_url or connection.vendor != "postgresql":
        pytest.skip("needs CELERY_BROKER_URL and a PostgreSQL DATABASE_URL")
    request_ids = issuance_requests(COUNT)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    app.conf.update(task_always_eager=False, broker_url=broker_url)
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--concurrency",
            str(CONCURRENCY),
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        started = time.perf_counter()
        for pk in request_ids:
            issue_certificate.delay(pk)
        while Certificate.objects.count() < COUNT:
            assert worker.poll() is None, "the worker died"
            assert time.perf_counter() - started < 3600
            time.sleep(0.5)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(60)
        app.conf.update(task_always_eager=True)

    assert Certificate.objects.count() == COUNT
    assert not Certificate.objects.filter(pdf="").exists()
    assert not IssuanceRequest.objects.filter(completed_at__isnull=True).exists()
    rate = COUNT / seconds
    report(
        f"BENCH certificate_issuance count={COUNT} seconds={seconds:.1f} "
        f"per_second={rate:.2f} (one worker, concurrency {CONCURRENCY}, Redis, PostgreSQL)"
    )
