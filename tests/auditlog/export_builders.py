"""A small trail for the export tests: two firms' events, a platform event, and the standalone
verifier run as a regulator would, in a subprocess on the bundle alone."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from lms.accounts.models import Firm, MembershipRole, User
from lms.auditlog import chain, verifier
from lms.auditlog.export import BEIJING
from lms.auditlog.models import AuditEvent
from tests.compliance.dashboard_factories import make_collector
from tests.factories import FirmFactory, MembershipFactory, UserFactory

# Distinctive strings of firm B: none may appear in firm A's bundle.
B_NAME = "别家催收有限公司"
B_PERSON = "王外人"
B_EMAIL = "wang.outsider@other.example"
B_LABEL = "B-FINDING-7781"
B_PAYLOAD = "b-secret-fact"
B_PHONE = "13900001111"
A_NAME = "阳光资产管理有限公司"
A_PERSON = "张小三"
A_EMAIL = "zhang.xiaosan@agency.example"
A_NOTE = "晚上十点后多次致电债务人家属。"


@dataclass
class Trail:
    firm_a: Firm
    firm_b: Firm
    collector_a: User
    collector_b: User
    manager_a: User
    a_seqs: list[int]
    b_seqs: list[int]
    platform_seqs: list[int]


def at(moment: dt.datetime | None):
    """A stand-in for chain's ``timezone`` module that records events at ``moment``."""
    return types.SimpleNamespace(now=lambda: moment)


def record_at(moment: dt.datetime | None, monkeypatch, event_type: str, **kwargs: Any) -> int:
    """Record one event, at ``moment`` (now when None), in a transaction of its own."""
    with monkeypatch.context() as patch:
        if moment is not None:
            patch.setattr(chain, "timezone", at(moment))
        with transaction.atomic():
            return chain.record(event_type, **kwargs).seq


def beijing(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING)


def build_trail(monkeypatch, day: dt.date) -> Trail:
    """On ``day`` (Beijing): A's finding, B's finding, a platform event, A's membership, B's
    membership, A's sign-in-like event with personal data of every kind."""
    firm_a = FirmFactory(name=A_NAME)
    firm_b = FirmFactory(name=B_NAME)
    collector_a = make_collector(firm_a, A_PERSON, email=A_EMAIL, phone="13812345678")
    collector_b = make_collector(firm_b, B_PERSON, email=B_EMAIL, phone=B_PHONE)
    manager_a = UserFactory(email="boss@agency.example", legal_name="赵经理")
    MembershipFactory(user=manager_a, firm=firm_a, role=MembershipRole.MANAGER)
    a, b, platform = [], [], []
    a.append(
        record_at(
            beijing(day, 9),
            monkeypatch,
            "finding.recorded",
            subject=("compliance.finding", 1),
            subject_label="A-FINDING-1",
            actor=manager_a,
            firms=[firm_a],
            persons=[collector_a],
            payload={"finding": 1, "severity": "major"},
            personal={"description": A_NOTE},
        )
    )
    b.append(
        record_at(
            beijing(day, 10),
            monkeypatch,
            "finding.recorded",
            subject=("compliance.finding", 2),
            subject_label=B_LABEL,
            firms=[firm_b],
            persons=[collector_b],
            payload={"finding": 2, "fact": B_PAYLOAD},
            personal={"phone": B_PHONE},
        )
    )
    platform.append(
        record_at(
            beijing(day, 11),
            monkeypatch,
            "regulations.loaded",
            subject=("content.regulationlibrary", 1),
            subject_label="2026 library",
            payload={"articles": 12},
        )
    )
    a.append(
        record_at(
            beijing(day, 12),
            monkeypatch,
            "membership.started",
            subject=collector_a,
            firms=[firm_a],
            persons=[collector_a],
            payload={"role": "collector"},
        )
    )
    b.append(
        record_at(
            beijing(day, 13),
            monkeypatch,
            "membership.started",
            subject=collector_b,
            firms=[firm_b],
            persons=[collector_b],
            payload={"role": "collector"},
        )
    )
    a.append(
        record_at(
            beijing(day, 14),
            monkeypatch,
            "staff.signed_in",
            subject=manager_a,
            actor=manager_a,
            firms=[firm_a],
            payload={"method": "totp"},
            personal={
                "ip": "203.0.113.77",
                "user_agent": "Mozilla/5.0 (Linux; Android 14)",
                "phone": "13812345678",
                "contact_name": "李联系",
                "email": "contact@agency.example",
            },
        )
    )
    return Trail(firm_a, firm_b, collector_a, collector_b, manager_a, a, b, platform)


# --- Reading and verifying a bundle ---------------------------------------------------------------


def bundle_lines(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as bundle:
        return [json.loads(line) for line in bundle.read("events.jsonl").splitlines() if line]


def bundle_json(path: Path, name: str) -> Any:
    with zipfile.ZipFile(path) as bundle:
        return json.loads(bundle.read(name))


def bundle_text(path: Path) -> str:
    """Every file of the bundle but the verifier's source, as one text."""
    with zipfile.ZipFile(path) as bundle:
        return "\n".join(
            bundle.read(name).decode() for name in bundle.namelist() if name != "verify.py"
        )


def rewrite(path: Path, name: str, content: bytes) -> None:
    """Replace one file of the bundle (an attacker editing the zip they were handed)."""
    with zipfile.ZipFile(path) as bundle:
        files = {item: bundle.read(item) for item in bundle.namelist()}
    files[name] = content
    with zipfile.ZipFile(path, "w") as bundle:
        for item, data in files.items():
            bundle.writestr(item, data)


def write_lines(path: Path, lines: list[dict]) -> None:
    rewrite(path, "events.jsonl", b"".join(json.dumps(x).encode() + b"\n" for x in lines))


def run_verifier(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the bundle's own verify.py as a regulator would: extracted into a folder of its own,
    in an isolated interpreter (no project on the path, no PYTHON* variables), on the zip."""
    folder = bundle.parent / f"{bundle.stem}-check"
    folder.mkdir(exist_ok=True)
    if zipfile.is_zipfile(bundle):
        with zipfile.ZipFile(bundle) as opened:
            script = opened.read("verify.py")
    else:  # not a bundle at all: the repository's copy of the script
        script = Path(verifier.__file__).read_bytes()
    (folder / "verify.py").write_bytes(script)
    return subprocess.run(
        [sys.executable, "-I", str(folder / "verify.py"), *args, str(bundle)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def event_count() -> int:
    return AuditEvent.objects.count()


def tamper_with(seq: int) -> None:
    """Edit event ``seq`` in the database the way someone who dropped the triggers would."""
    from django.db import connection

    from lms.auditlog import triggers

    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)
    AuditEvent.objects.filter(seq=seq).update(payload={"role": "owner"})
