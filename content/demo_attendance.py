"""Demo sessions, registrations and attendance for the demo salon and summit (``seed_demo``).

Everything goes through the services people use (register, cancel, open check-in, check in,
mark by hand, close), dated with their ``now``/``at`` parameters where the demo event lies in
the past, so the history rows, the CPD ledger (credited by ``attendance_changed``) and the
certificates of attendance (issued on ``session_closed``) follow exactly as they would live.

* The salon (September 2026, in person) has a session with a registration in every state:
  attended (张三, checked in with the code), partly attended (杨帆), no-show (沈十, marked by
  the trainer), booked (许诺), waitlisted (朱一鸣, the session is full), cancelled (韩梅 left the
  waitlist) and awaiting approval (秦岚: the session needs her manager's approval). It is not
  closed yet, so the trainer can close it (许诺 becomes a no-show).
* The summit (March 2027) has an online pre-summit class in November 2026 that 张三 attended
  (QR check-in), closed, so his certificate of attendance is issued; and its main session
  (March 2027), 张三 booked (while its registration is open), check-in not open: self
  check-in only works from an hour before a session starts.
* So that the trainer's check-in screen works whenever the demo runs, the summit also has a
  session “现场签到演示” (in person, at the summit's venue) placed around the moment of seeding:
  from the top of the current hour in Beijing, 8 hours long, check-in open, 张三 booked. Since
  ``seed_demo`` runs on every ``make run``, once that session has ended with nobody checked in
  (and it is not closed) it is moved to the current hour again and its check-in reopened; once
  someone has checked in or it is closed it is a real record and left alone.

张三's ledger thus has offline hours (the salon) and online hours (the summit's class).
Idempotent otherwise: an event that already has sessions gets nothing new, and a second run
while the demo session is still running changes nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from lms.accounts.models import User
from lms.lib.demo import DemoReport

from .attendance import checkin, marking, registration
from .models import ChangeVia, EventPage, EventSession, RegistrationState, SessionMode

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SALON_SLUG = "sunshine-salon-2026-09-shanghai"
SUMMIT_SLUG = "sunshine-compliance-summit-2027-shenzhen"
S = RegistrationState


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


def _people(*emails: str) -> dict[str, User] | None:
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    return found if len(found) == len(emails) else None


CHECKIN_DEMO_TITLE = "现场签到演示"
CHECKIN_DEMO_HOURS = 8


def seed_attendance(report: DemoReport) -> None:
    report.created_lines(ensure_salon_session() + ensure_summit_sessions())
    moved = move_checkin_demo_session()
    if moved:
        report.line(moved, created=1)  # counted, so the summary does not say "nothing to do"
    report.created_lines(ensure_checkin_demo_session())


def ensure_salon_session() -> list[str]:
    """The salon's afternoon session, with a registration in every state (not closed)."""
    salon = EventPage.objects.filter(slug=SALON_SLUG).first()
    people = _people(
        "manager@demo.test",
        "trainer@demo.test",
        "collector@demo.test",
        "shen.shi@demo.test",
        "yang.fan@demo.test",
        "xu.nuo@demo.test",
        "zhu.yiming@demo.test",
        "han.mei@demo.test",
        "qin.lan@demo.test",
    )
    if salon is None or people is None or salon.sessions.exists():
        return []
    manager, trainer = people["manager@demo.test"], people["trainer@demo.test"]
    session = EventSession.objects.create(
        page=salon,
        title="下午场",
        mode=SessionMode.IN_PERSON,
        start=salon.start,
        end=salon.end,
        venue=salon.venue,
        capacity=4,
        registration_opens=_at("2026-09-01T09:00"),
        registration_closes=_at("2026-09-18T18:00"),
        requires_approval=True,
    )
    # 李四 books four of his staff (a manager's booking needs no approval): the session is full.
    booked_on = _at("2026-09-05T10:00")
    for email in (
        "collector@demo.test",
        "shen.shi@demo.test",
        "yang.fan@demo.test",
        "xu.nuo@demo.test",
    ):
        registration.register(
            session, people[email], actor=manager, via=ChangeVia.MANAGER, now=booked_on
        )
    for email in ("zhu.yiming@demo.test", "han.mei@demo.test"):
        registration.register(
            session, people[email], actor=manager, via=ChangeVia.MANAGER, now=booked_on
        )
    han_mei = session.registrations.get(user=people["han.mei@demo.test"])
    registration.cancel(han_mei, actor=han_mei.user, reason="当天另有外访安排")
    # 秦岚 registers herself: the session needs her manager's approval, still pending.
    registration.register(
        session,
        people["qin.lan@demo.test"],
        actor=people["qin.lan@demo.test"],
        now=_at("2026-09-10T20:30"),
    )

    marking.open_checkin(session, actor=trainer, at=_at("2026-09-19T13:40"))
    zhang_san = people["collector@demo.test"]
    checkin.check_in(session, zhang_san, via=ChangeVia.CODE, at=_at("2026-09-19T13:52"))
    marking.mark_attendance(
        session.registrations.get(user=people["yang.fan@demo.test"]),
        S.PARTLY_ATTENDED,
        actor=trainer,
        reason="手机未能扫码；16:00 提前离场",
        hours=Decimal("2.00"),
        at=_at("2026-09-19T16:05"),
    )
    marking.mark_attendance(
        session.registrations.get(user=people["shen.shi@demo.test"]),
        S.NO_SHOW,
        actor=trainer,
        reason="未到场，未请假",
        at=_at("2026-09-19T17:35"),
    )
    return [f"salon session “{salon.title} · {session}” with a registration in every state"]


def ensure_summit_sessions() -> list[str]:
    """The summit's online pre-class (attended by 张三, closed) and its main session (张三
    booked while its registration is open; check-in not open)."""
    summit = EventPage.objects.filter(slug=SUMMIT_SLUG).first()
    people = _people("trainer@demo.test", "collector@demo.test", "xu.nuo@demo.test")
    if (
        summit is None
        or people is None
        or summit.sessions.exclude(title=CHECKIN_DEMO_TITLE).exists()
    ):
        return []
    trainer, zhang_san = people["trainer@demo.test"], people["collector@demo.test"]
    if not summit.attendance_certificates:
        summit.attendance_certificates = True
        summit.save_revision().publish()
        summit.refresh_from_db()

    online = EventSession.objects.create(
        page=summit,
        title="会前线上公开课：新版治安管理处罚法要点",
        mode=SessionMode.ONLINE,
        start=_at("2026-11-20T19:00"),
        end=_at("2026-11-20T21:00"),
        online_url=summit.online_url or "https://example.com/live/sunshine-summit-2027",
        capacity=300,
        sort_order=0,
    )
    for person in (zhang_san, people["xu.nuo@demo.test"]):
        registration.register(online, person, actor=person, now=_at("2026-11-10T12:00"))
    marking.open_checkin(online, actor=trainer, at=_at("2026-11-20T18:50"))
    checkin.check_in(online, zhang_san, via=ChangeVia.QR, at=_at("2026-11-20T19:02"))
    marking.close_session(online, actor=trainer, at=_at("2026-11-20T21:10"))

    main = EventSession.objects.create(
        page=summit,
        title="主会场",
        mode=SessionMode.IN_PERSON,
        start=summit.start,
        end=summit.end,
        venue=summit.venue,
        online_url=summit.online_url,
        capacity=200,
        sort_order=1,
    )
    lines = [f"summit pre-class “{online}” attended by 张三 and closed"]
    # The real clock: once registration for the main session has closed (March 2027), a demo
    # seeded afresh has nobody booked there rather than failing.
    if registration.refusal(main) is None:
        registration.register(main, zhang_san, actor=zhang_san)
        lines.append(f"summit session “{main}” with 张三 booked")
    else:
        lines.append(f"summit session “{main}” (registration closed, nobody booked)")
    return lines


def _current_hour() -> dt.datetime:
    return timezone.now().astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)


def _demo_context() -> tuple[EventPage, dict[str, User], dt.datetime, dt.datetime] | None:
    summit = EventPage.objects.filter(slug=SUMMIT_SLUG, live=True).first()
    people = _people("trainer@demo.test", "collector@demo.test")
    if summit is None or people is None:
        return None
    start = _current_hour()
    return summit, people, start, start + dt.timedelta(hours=CHECKIN_DEMO_HOURS)


def ensure_checkin_demo_session() -> list[str]:
    """The summit's “现场签到演示” session around now, with check-in open and 张三 booked.

    Created from the top of the current hour in Beijing for CHECKIN_DEMO_HOURS, so that the
    trainer's check-in screen has a session it works for whenever the demo is seeded (self
    check-in only works from an hour before a session until half an hour after it). Once it
    exists nothing more is created; see :func:`move_checkin_demo_session` for later runs.
    """
    context = _demo_context()
    if context is None:
        return []
    summit, people, start, end = context
    trainer, zhang_san = people["trainer@demo.test"], people["collector@demo.test"]
    now = timezone.now()
    if summit.sessions.filter(title=CHECKIN_DEMO_TITLE).exists():
        return []
    session = EventSession.objects.create(
        page=summit,
        title=CHECKIN_DEMO_TITLE,
        mode=SessionMode.IN_PERSON,
        start=start,
        end=end,
        venue=summit.venue,
        capacity=50,
        registration_closes=end,
        sort_order=2,
    )
    registration.register(session, zhang_san, actor=zhang_san, now=now)
    marking.open_checkin(session, actor=trainer, at=now)
    return [f"summit session “{session}” around now with check-in open (trainer's screen)"]


def move_checkin_demo_session() -> str:
    """Move the ended “现场签到演示” session to the current hour again ("" when nothing moved).

    ``seed_demo`` runs on every ``make run``: while the session is still running it is left
    alone; once it has ended with nobody checked in and it is not closed, it gets the current
    hour (CHECKIN_DEMO_HOURS long) and its check-in is reopened now, so the check-in screen
    works again. Once someone has checked in or it is closed it is kept as it is (a record).
    """
    context = _demo_context()
    if context is None:
        return ""
    summit, people, start, end = context
    trainer, zhang_san = people["trainer@demo.test"], people["collector@demo.test"]
    now = timezone.now()
    session = summit.sessions.filter(title=CHECKIN_DEMO_TITLE).first()
    if session is None:
        return ""
    checked_in = session.registrations.filter(state__in=[S.ATTENDED, S.PARTLY_ATTENDED]).exists()
    if session.end > now or session.closed_at is not None or checked_in:
        return ""
    session.start, session.end, session.registration_closes = start, end, end
    session.checkin_opened_at, session.checkin_opened_by = now, trainer
    session.save(
        update_fields=[
            "start",
            "end",
            "registration_closes",
            "checkin_opened_at",
            "checkin_opened_by",
        ]
    )
    if not session.registrations.filter(user=zhang_san).exists():
        registration.register(session, zhang_san, actor=zhang_san, now=now)
    return f"moved summit session “{session}” to the current hour, check-in open again"
