"""Check-in codes bound to a session, and checking a booked attendee in with one.

The trainer's screen shows a QR code and a 6-digit code that rotate every
:data:`ROTATION_SECONDS` (30 s): both name the same *window* (the number of whole rotation
periods since the epoch) and the session. The QR code is a URL holding a signed token
(``django.core.signing``, a salt of its own, so no other signed value of the project can pass
for one); the 6-digit code is an HMAC of the session and the window under a key derived from
``SECRET_KEY`` (like TOTP), for the trainer to read out when a phone cannot scan.

Moodle's rotating QR codes refuse a scan the moment the code rotates, which fails everyone
whose phone took a few seconds to open the link; here a code stays valid for
:data:`GRACE_SECONDS` (90 s) after its window ended. Older codes, codes of another session
and tampered tokens are refused, each with its own message.

Self check-in has a time window per session (:func:`checkin_window`): from
:data:`CHECKIN_OPENS_BEFORE` (60 min) before the session starts until
:data:`CHECKIN_CLOSES_AFTER` (30 min) after it ends, for the last stragglers. Outside it a
scan or a code is refused ("opens at 08:00" / "has ended, see the trainer") even when the
trainer has opened check-in, so nobody is marked attended — and credited hours — days before
the session takes place; the trainer opens check-in no earlier than the window opens either.

Checking in is :func:`check_in`: a booked registration becomes attended through
``Registration.change_state`` (history row; the CPD ledger follows ``attendance_changed``),
under a row lock, and a second scan changes nothing.
"""

from __future__ import annotations

import datetime
import hmac
import unicodedata
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ..models import ChangeVia, EventSession, Registration, RegistrationState

# A code rotates every ROTATION_SECONDS and is still accepted GRACE_SECONDS after it rotated
# out: a scan or a typed code from up to 2 minutes ago (30 + 90 s) works, nothing older.
ROTATION_SECONDS = 30
GRACE_SECONDS = 90
DIGITS = 6
SALT = "content.attendance.checkin"
_CODE_SALT = "content.attendance.checkin.code"
# Self check-in is possible from CHECKIN_OPENS_BEFORE before the session starts until
# CHECKIN_CLOSES_AFTER after it ends (the last stragglers; later, the trainer marks by hand).
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=60)
CHECKIN_CLOSES_AFTER = datetime.timedelta(minutes=30)
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
# How far back a refused 6-digit code is compared, only to tell "expired" from "wrong".
_EXPIRED_LOOKBACK_WINDOWS = 240  # two hours


class Refusal:
    """Why a code or a check-in was refused (``CheckinRefused.reason``)."""

    BAD_TOKEN = "bad_token"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    OTHER_SESSION = "other_session"
    NOT_OPEN = "not_open"
    TOO_EARLY = "too_early"
    ENDED = "ended"
    NOT_LIVE = "not_live"
    CLOSED = "closed"
    NOT_BOOKED = "not_booked"
    NOT_REGISTERED = "not_registered"


class CheckinRefused(Exception):
    """A code or a check-in was refused; ``message`` says why in words for the attendee."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Code:
    """What the trainer's screen shows for one window."""

    session_id: int
    window: int
    token: str
    digits: str
    rotates_at: datetime.datetime

    def seconds_left(self, at: datetime.datetime) -> int:
        return max(0, int((self.rotates_at - at).total_seconds() + 0.999))


@dataclass(frozen=True)
class CheckinResult:
    """A successful check-in: ``already`` when they had checked in before (nothing changed)."""

    registration: Registration
    already: bool


# --- Codes -------------------------------------------------------------------------------------


def window_at(at: datetime.datetime) -> int:
    """The window (rotation period since the epoch) that ``at`` falls in."""
    return int(at.timestamp()) // ROTATION_SECONDS


def window_end(window: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp((window + 1) * ROTATION_SECONDS, tz=datetime.UTC)


def is_fresh(window: int, at: datetime.datetime) -> bool:
    """Whether a code of ``window`` is accepted at ``at``: its own window, or within
    GRACE_SECONDS after it rotated out. A window still to come is not (nothing shows it)."""
    return window <= window_at(at) and at < window_end(window) + datetime.timedelta(
        seconds=GRACE_SECONDS
    )


def make_token(session_id: int, window: int) -> str:
    """The QR code's token: the session and the window, signed (no timestamp: the window is the
    time)."""
    return signing.Signer(salt=SALT).sign_object({"s": session_id, "w": window})


def make_digits(session_id: int, window: int) -> str:
    """The 6-digit code of a session's window: HMAC-SHA256 under a key derived from SECRET_KEY
    and truncated as HOTP does (RFC 4226, section 5.3)."""
    digest = salted_hmac(_CODE_SALT, f"{session_id}:{window}", algorithm="sha256").digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def current_code(session: EventSession, at: datetime.datetime | None = None) -> Code:
    """The code the trainer's screen shows now."""
    at = at or timezone.now()
    window = window_at(at)
    return Code(
        session_id=session.pk,
        window=window,
        token=make_token(session.pk, window),
        digits=make_digits(session.pk, window),
        rotates_at=window_end(window),
    )


def read_token(token: str) -> tuple[int, int]:
    """The (session id, window) a token names, if its signature holds; else refused."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
        session_id, window = int(payload["s"]), int(payload["w"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise CheckinRefused(
            Refusal.BAD_TOKEN,
            _(
                "This check-in link is not valid (it may have been copied incompletely). "
                "Scan the code on the screen again."
            ),
        ) from error
    return session_id, window


def verify_token(token: str, at: datetime.datetime | None = None) -> tuple[int, int]:
    """(session id, window) of a signed token still within its grace period; else refused."""
    session_id, window = read_token(token)
    if not is_fresh(window, at or timezone.now()):
        raise _expired()
    return session_id, window


def verify_digits(session: EventSession, digits: str, at: datetime.datetime | None = None) -> int:
    """The window of a 6-digit code of ``session`` still within its grace period; else refused
    (with "expired" or "another session's code" where it matches one, "wrong" otherwise)."""
    at = at or timezone.now()
    # A Chinese input method may type full-width digits (１２３); NFKC makes them ASCII.
    digits = "".join(unicodedata.normalize("NFKC", digits).split())
    fresh, window = [], window_at(at)
    while is_fresh(window, at):  # the current window and those still in their grace period
        fresh.append(window)
        window -= 1
    if len(digits) == DIGITS and digits.isascii() and digits.isdigit():
        for window in fresh:
            if hmac.compare_digest(make_digits(session.pk, window), digits):
                return window
        for window in range(fresh[-1] - 1, fresh[-1] - 1 - _EXPIRED_LOOKBACK_WINDOWS, -1):
            if make_digits(session.pk, window) == digits:
                raise _expired()
        for other in open_sessions(at).exclude(pk=session.pk):
            if any(make_digits(other.pk, window) == digits for window in fresh):
                raise _other_session(other)
    raise CheckinRefused(
        Refusal.WRONG_CODE,
        _("That is not this session's check-in code. Check the 6 digits on the screen."),
    )


def _expired() -> CheckinRefused:
    return CheckinRefused(
        Refusal.EXPIRED,
        _(
            "This check-in code has expired: codes change every 30 seconds and are accepted for "
            "2 minutes. Use the code on the screen now."
        ),
    )


def _other_session(session: EventSession) -> CheckinRefused:
    return CheckinRefused(
        Refusal.OTHER_SESSION,
        _("This code is for another session (%(session)s). Check in with this session's code.")
        % {"session": describe(session)},
    )


def describe(session: EventSession) -> str:
    """The event's title and the session, as attendees see them. Reads session.page."""
    return f"{session.page.title} · {session}"


def open_sessions(at: datetime.datetime | None = None):
    """Sessions whose check-in is open now."""
    return EventSession.objects.filter(
        checkin_opened_at__isnull=False,
        checkin_opened_at__lte=at or timezone.now(),
        closed_at__isnull=True,
    ).select_related("page")


# --- The time window ---------------------------------------------------------------------------


def checkin_window(session: EventSession) -> tuple[datetime.datetime, datetime.datetime]:
    """When self check-in opens and ends for ``session``: CHECKIN_OPENS_BEFORE before its start
    until CHECKIN_CLOSES_AFTER after its end."""
    return session.start - CHECKIN_OPENS_BEFORE, session.end + CHECKIN_CLOSES_AFTER


def beijing_time(moment: datetime.datetime, at: datetime.datetime | None = None) -> str:
    """``moment`` in Beijing time: "HH:MM" on the same Beijing day as ``at`` (now), else with
    the date ("YYYY-MM-DD HH:MM")."""
    local = moment.astimezone(BEIJING)
    today = (at or timezone.now()).astimezone(BEIJING).date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


def too_early(session: EventSession, at: datetime.datetime) -> CheckinRefused:
    opens, _ends = checkin_window(session)
    return CheckinRefused(
        Refusal.TOO_EARLY,
        _("Check-in for %(session)s opens at %(time)s (Beijing time).")
        % {"session": describe(session), "time": beijing_time(opens, at)},
    )


# --- Checking in -------------------------------------------------------------------------------


def check_in(
    session: EventSession,
    user,
    *,
    via: str,
    at: datetime.datetime | None = None,
) -> CheckinResult:
    """Check ``user`` in to ``session`` (the code was verified by the caller).

    Only while the trainer has opened check-in and not closed the session, within the
    session's :func:`checkin_window` (from an hour before it starts until half an hour after
    it ends), and while the event page is live (an unpublished event takes no check-ins). A
    booked
    registration becomes attended (``via`` QR or CODE; the history row records it and
    ``attendance_changed`` credits the hours); an attended or partly attended one is left as
    it is ("already checked in"). Anyone else — waitlisted, cancelled, awaiting approval,
    marked absent or not registered — is refused and sent to the trainer, who can mark them
    by hand.
    """
    at = at or timezone.now()
    with transaction.atomic():
        # Only the registration is locked, so a room checking in at once is not queued on the
        # session's row. A close running meanwhile locks the same registrations: whichever
        # comes second sees the other's result (attended stays, a no-show is refused).
        session = EventSession.objects.select_related("page").get(pk=session.pk)
        if session.closed_at is not None:
            raise CheckinRefused(
                Refusal.CLOSED,
                _("Check-in for %(session)s is closed. Please see the trainer.")
                % {"session": describe(session)},
            )
        if not session.page.live:
            raise CheckinRefused(
                Refusal.NOT_LIVE,
                _(
                    "The event %(event)s is no longer published, so check-in is not possible. "
                    "Please see the trainer."
                )
                % {"event": session.page.title},
            )
        opens, ends = checkin_window(session)
        if at < opens:
            raise too_early(session, at)
        if at > ends:
            raise CheckinRefused(
                Refusal.ENDED,
                _("Check-in for %(session)s has ended. Please see the trainer.")
                % {"session": describe(session)},
            )
        if session.checkin_opened_at is None or session.checkin_opened_at > at:
            raise CheckinRefused(
                Refusal.NOT_OPEN,
                _("Check-in for %(session)s has not been opened yet. Please wait for the trainer.")
                % {"session": describe(session)},
            )
        registration = (
            Registration.objects.select_for_update().filter(session=session, user=user).first()
        )
        if registration is None:
            raise _not_registered(session, user)
        registration.session = session
        if registration.state in (
            RegistrationState.ATTENDED,
            RegistrationState.PARTLY_ATTENDED,
        ):
            return CheckinResult(registration, already=True)
        if registration.state != RegistrationState.BOOKED:
            raise CheckinRefused(
                Refusal.NOT_BOOKED,
                _(
                    "Your registration for %(session)s is “%(state)s”, not booked, so you cannot "
                    "check in yourself. Please see the trainer."
                )
                % {"session": describe(session), "state": registration.get_state_display()},
            )
        registration.change_state(RegistrationState.ATTENDED, via=via, actor=user, at=at)
        return CheckinResult(registration, already=False)


def _not_registered(session: EventSession, user) -> CheckinRefused:
    """Not registered here; if they are booked for another session of the same event (the
    morning's, say), say so: they most likely scanned the wrong session's code."""
    elsewhere = (
        Registration.objects.filter(
            user=user, session__page_id=session.page_id, state=RegistrationState.BOOKED
        )
        .exclude(session=session)
        .select_related("session")
        .first()
    )
    if elsewhere is not None:
        return CheckinRefused(
            Refusal.OTHER_SESSION,
            _(
                "This code is for %(session)s, but you are booked for %(yours)s. Check in with "
                "your session's code, or see the trainer."
            )
            % {"session": describe(session), "yours": elsewhere.session},
        )
    return CheckinRefused(
        Refusal.NOT_REGISTERED,
        _("You are not registered for %(session)s. Please see the trainer.")
        % {"session": describe(session)},
    )


def check_in_with_token(
    token: str,
    user,
    *,
    at: datetime.datetime | None = None,
    seen_at: datetime.datetime | None = None,
) -> CheckinResult:
    """Check in with the QR code's token.

    The token's window is judged at ``seen_at`` when given: the moment this browser first
    opened the link, before it was sent to sign in (the view keeps that moment in the Django
    session and limits how long ago it may be), so a sign-in slower than the grace period
    does not lose the scan. Otherwise it is judged now."""
    at = at or timezone.now()
    session_id, window = read_token(token)
    if not is_fresh(window, seen_at or at):
        raise _expired()
    session = EventSession.objects.filter(pk=session_id).select_related("page").first()
    if session is None:
        raise CheckinRefused(Refusal.BAD_TOKEN, _("This check-in code's session no longer exists."))
    return check_in(session, user, via=ChangeVia.QR, at=at)


def check_in_with_digits(
    session: EventSession, user, digits: str, *, at: datetime.datetime | None = None
) -> CheckinResult:
    """Check in with the 6-digit code read out by the trainer."""
    at = at or timezone.now()
    verify_digits(session, digits, at)
    return check_in(session, user, via=ChangeVia.CODE, at=at)


def scan_url(token: str) -> str:
    """The absolute URL a QR code holds (SITE_BASE_URL: the address phones reach)."""
    return settings.SITE_BASE_URL.rstrip("/") + reverse("event_checkin:scan", args=[token])
