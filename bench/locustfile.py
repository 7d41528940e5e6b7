"""Exam day under load (locust): candidates start the exam, autosave every 10 s, and submit.

Run by tests/bench/test_exam_day_load.py, or by hand against a server of your own::

    EXAMDAY_CANDIDATES=candidates.json EXAMDAY_STEPS=500,1000,1500,2000 \\
        locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 --csv var/examday

(without ``EXAMDAY_STEPS``, locust's own ``-u 1500 -r 10 -t 120s`` bound the run instead).
``EXAMDAY_CANDIDATES`` names a JSON file ``{"exam": <exam page id>, "sessions": ["sessionid=…",
…]}``: signed-in sessions made beforehand (one per simulated candidate, used once each), so the
cost of signing in (password hashing, allauth's rate limits) is not part of the measure. What each
simulated candidate does, as the attempt page's script does:

1. **Start**: POST the exam's start button (which draws and freezes a paper), then load the
   attempt page it redirects to, which gives the CSRF token and the questions and options.
2. **Autosave** an answer every 10 s (the first one within 10 s of opening the page), question
   after question, sometimes changing or clearing one; multiple-choice questions get two ticks.
   With steps, requests are named by phase: ``autosave ->1500`` while candidates are being added
   to reach 1,500 (and 20 s more, while the last ones start), ``autosave @1500`` during the
   ``EXAMDAY_STEADY_SECONDS`` measured with all 1,500 writing.
3. **Submit** at a moment of their own. With steps: once the last step has been measured, within
   the first three quarters of ``EXAMDAY_SUBMIT_SECONDS`` (default 60 s) after it, so every
   candidate added is still writing through every later step (the 1,500 step measures 1,500
   candidates autosaving, not 1,500 of whom some have handed in). Without steps:
   ``EXAMDAY_FINISH_AFTER`` seconds after starting plus a uniform share of
   ``EXAMDAY_FINISH_SPREAD`` (default 20 + 0–300 s), as candidates finish over several minutes
   (grading writes audit events under one advisory lock); one whose moment falls after the run's
   end is still writing when it stops. Submitted, the candidate idles.

FastHttpUser (geventhttpclient) keeps the load generator light: it shares the cores with the
server.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

from locust import FastHttpUser, LoadTestShape, constant_pacing, task

AUTOSAVE_EVERY = 10.0
FINISH_AFTER = float(os.environ.get("EXAMDAY_FINISH_AFTER", "20"))
FINISH_SPREAD = float(os.environ.get("EXAMDAY_FINISH_SPREAD", "300"))
# Stepped load in one run (see StepShape): "500,1000,1500,2000", or empty for locust's -u/-r.
STEPS = [int(n) for n in os.environ.get("EXAMDAY_STEPS", "").split(",") if n.strip()]
SPAWN_RATE = float(os.environ.get("EXAMDAY_SPAWN_RATE", "10"))
STEADY_SECONDS = float(os.environ.get("EXAMDAY_STEADY_SECONDS", "40"))
SETTLE_SECONDS = 20.0  # after the last user of a step is spawned: its start and page load finish
# With steps: after the last one, everyone hands in within this time (the end of the exam).
SUBMIT_SECONDS = float(os.environ.get("EXAMDAY_SUBMIT_SECONDS", "60"))

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION_INPUT = re.compile(r'<input type="(radio|checkbox)" name="q-(\d+)" value="(\d+)"')
ATTEMPT_PATH = re.compile(r"/exam-attempts/(\d+)/$")


def _load_candidates() -> tuple[int, list[str]]:
    path = os.environ.get("EXAMDAY_CANDIDATES")
    if not path:
        return 0, []
    with open(path, encoding="utf-8") as source:
        data = json.load(source)
    return int(data["exam"]), list(data["sessions"])


EXAM_ID, SESSIONS = _load_candidates()
_next_session = itertools.count()


class Candidate(FastHttpUser):
    """One candidate sitting the exam in a browser."""

    wait_time = constant_pacing(AUTOSAVE_EVERY)

    def on_start(self) -> None:
        number = next(_next_session)
        if number >= len(SESSIONS):
            raise RuntimeError(f"only {len(SESSIONS)} candidate sessions for user {number + 1}")
        self.session_cookie = SESSIONS[number]
        self.submitted = False
        self.step = 0
        self.questions: dict[int, tuple[str, list[int]]] = {}
        # Start: as the exam page's button (a form POST; the exam page set the CSRF cookie).
        self.csrf_cookie = "csrftoken=" + "s" * 32
        with self.client.post(
            f"/exam-attempts/start/{EXAM_ID}/",
            headers=self._headers(self.csrf_cookie[len("csrftoken=") :], form=True),
            data=f"csrfmiddlewaretoken={'s' * 32}",
            allow_redirects=False,
            name=_name("start"),
            catch_response=True,
        ) as response:
            match = ATTEMPT_PATH.search(response.headers.get("Location", "") or "")
            if response.status_code != 302 or not match:
                response.failure(f"start: {response.status_code} {response.text[:200]!r}")
                self.attempt = 0
                return
        self.attempt = int(match.group(1))
        with self.client.get(
            f"/exam-attempts/{self.attempt}/",
            headers={"Cookie": self._cookies()},
            name=_name("attempt page"),
            catch_response=True,
        ) as response:
            token = CSRF_INPUT.search(response.text or "")
            if response.status_code != 200 or not token:
                response.failure(f"attempt page: {response.status_code}")
                self.attempt = 0
                return
            self.token = token.group(1)
            for kind, position, choice in OPTION_INPUT.findall(response.text):
                self.questions.setdefault(int(position), (kind, []))[1].append(int(choice))
        self.positions = sorted(self.questions)
        if _schedule and _started_at:
            # Stepped: every candidate added is still writing through every later step (a step
            # of 1,500 measures 1,500 writing), and hands in once the last step is measured.
            end_of_steps = _started_at[0] + _schedule[-1][3]
            self.finish_at = end_of_steps + random.uniform(0, SUBMIT_SECONDS * 0.75)
        else:
            self.finish_at = time.monotonic() + FINISH_AFTER + random.uniform(0, FINISH_SPREAD)
        # Reading the first question before answering: spreads the autosaves over the period.
        time.sleep(random.uniform(0, AUTOSAVE_EVERY))

    def _cookies(self) -> str:
        return f"{self.session_cookie}; {self.csrf_cookie}"

    def _headers(self, token: str, *, form: bool = False) -> dict[str, str]:
        return {
            "Cookie": self._cookies(),
            "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded" if form else "application/json",
            "Accept": "text/html" if form else "application/json",
            "Referer": self.host,  # HTTPS would need it; harmless on HTTP
        }

    @task
    def answer(self) -> None:
        if not self.attempt or self.submitted:
            return
        if time.monotonic() >= self.finish_at:
            self.submit()
            return
        position = self.positions[self.step % len(self.positions)]
        kind, choices = self.questions[position]
        if self.step % 11 == 10:
            chosen: list[int] = []
        elif kind == "checkbox":
            chosen = [choices[self.step % len(choices)], choices[(self.step + 1) % len(choices)]]
        else:
            chosen = [choices[self.step % len(choices)]]
        self.step += 1
        with self.client.post(
            f"/exam-attempts/{self.attempt}/save/",
            data=json.dumps({"position": position, "choices": chosen}),
            headers=self._headers(self.token),
            name=_name("autosave"),
            catch_response=True,
        ) as response:
            if response.status_code != 200 or b'"saved": true' not in (response.content or b""):
                response.failure(f"autosave: {response.status_code} {response.text[:200]!r}")

    def submit(self) -> None:
        with self.client.post(
            f"/exam-attempts/{self.attempt}/submit/",
            data=f"confirm=1&csrfmiddlewaretoken={self.token}",
            headers=self._headers(self.token, form=True),
            allow_redirects=False,
            name=_name("submit"),
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") or ""
            if response.status_code != 302 or "/review/" not in location:
                response.failure(f"submit: {response.status_code} {response.text[:200]!r}")
        self.submitted = True


# --- Stepped load ------------------------------------------------------------------------------

_schedule: list[tuple[int, float, float, float]] = []  # (users, ramp start, steady from, until)
_started_at: list[float] = []


def _build_schedule() -> None:
    moment, previous = 0.0, 0
    for users in STEPS:
        reached = moment + (users - previous) / SPAWN_RATE
        steady_from = reached + SETTLE_SECONDS
        _schedule.append((users, moment, steady_from, steady_from + STEADY_SECONDS))
        moment, previous = steady_from + STEADY_SECONDS, users


def _name(action: str) -> str:
    """``autosave @1500`` in the steady part of the 1,500-candidate step, ``autosave ->1500``
    while candidates are being added to reach it (without steps: just ``autosave``)."""
    if not _schedule or not _started_at:
        return action
    elapsed = time.monotonic() - _started_at[0]
    for users, _ramp_from, steady_from, until in _schedule:
        if elapsed < steady_from:
            return f"{action} ->{users}"
        if elapsed < until:
            return f"{action} @{users}"
    return f"{action} (after)"


if STEPS:
    _build_schedule()

    class StepShape(LoadTestShape):
        """Adds candidates at SPAWN_RATE up to each step's count, holds it for
        SETTLE_SECONDS + STEADY_SECONDS, then goes on to the next; stops after the last."""

        def tick(self) -> tuple[int, float] | None:
            if not _started_at:
                _started_at.append(time.monotonic() - self.get_run_time())
            elapsed = self.get_run_time()
            for users, _ramp_from, _steady_from, until in _schedule:
                if elapsed < until:
                    return users, SPAWN_RATE
            if elapsed < _schedule[-1][3] + SUBMIT_SECONDS:
                return _schedule[-1][0], SPAWN_RATE  # everyone hands in
            return None
