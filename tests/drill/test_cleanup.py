"""The drill leaves no process behind: leftovers of a killed run are stopped by the next one,
children die with the drill, and the test stops an overrunning drill with SIGTERM.

Why: a drill killed with SIGKILL (or by ``subprocess.run``'s timeout) cannot run its
``finally``; its gunicorn nodes, Celery workers, beat and S3 server would go on consuming the
broker database and holding ports, and the next run would fail, or pass, for the wrong reasons.
These tests use sleeping stand-ins carrying the drill's marker instead of the drill itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.drill import PIDS_FILE, ROOT, find_leftovers, kill_leftovers, marker
from tests.drill.child import run_child

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the drill's clean-up reads /proc (Linux)"
)

SLEEP = "import time; time.sleep(120)"


def _gone(pid: int) -> bool:
    """Exited (a zombie counts: it runs nothing and holds nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def spawned():
    """Start processes in sessions of their own; kill whatever is left at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str) -> subprocess.Popen[bytes]:
        popen = subprocess.Popen([sys.executable, *args], start_new_session=True)
        started.append(popen)
        return popen

    yield spawn
    for popen in started:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        popen.wait()


def _record(workdir: Path, *pids: int) -> None:
    (workdir / PIDS_FILE).write_text("".join(f"{pid} stand-in\n" for pid in pids))


def _wait_marked(popen: subprocess.Popen[bytes], workdir: Path) -> None:
    """The child has exec'd Python (its command line shows the marker)."""
    deadline = time.monotonic() + 10
    while marker(workdir) not in Path(f"/proc/{popen.pid}/cmdline").read_bytes().decode():
        assert time.monotonic() < deadline, "the stand-in did not start"
        time.sleep(0.05)


def test_a_recorded_marked_leftover_is_stopped_and_others_are_left_alone(tmp_path, spawned):
    ours = spawned("-X", marker(tmp_path), "-c", SLEEP)
    # Recorded, but not the drill's (the PID was reused by someone else's process).
    unmarked = spawned("-c", SLEEP)
    # The marker of another checkout's drill.
    other_drill = spawned("-X", marker(tmp_path / "elsewhere"), "-c", SLEEP)
    # Marked but never recorded by this workdir's drill.
    unrecorded = spawned("-X", marker(tmp_path), "-c", SLEEP)
    for popen in (ours, unrecorded):
        _wait_marked(popen, tmp_path)
    _record(tmp_path, ours.pid, unmarked.pid, other_drill.pid)

    assert kill_leftovers(tmp_path) == [ours.pid]

    assert ours.wait(timeout=10) == -signal.SIGTERM
    for popen in (unmarked, other_drill, unrecorded):
        assert popen.poll() is None
    assert not (tmp_path / PIDS_FILE).exists()


def test_a_pool_child_whose_parent_died_is_found_by_its_session(tmp_path, spawned):
    # The recorded parent forks (as Celery's prefork pool does) and exits; its child lives on
    # in the parent's session, with the same command line.
    fork = "import os, sys, time\nif os.fork():\n    sys.exit()\ntime.sleep(120)"
    parent = spawned("-X", marker(tmp_path), "-c", fork)
    parent.wait(timeout=10)
    _record(tmp_path, parent.pid)
    deadline = time.monotonic() + 10
    while not (leftovers := find_leftovers(tmp_path)):
        assert time.monotonic() < deadline, "the orphaned child was not found"
        time.sleep(0.05)
    (child,) = leftovers
    assert child != parent.pid

    assert kill_leftovers(tmp_path) == [child]

    assert _wait_gone(child)


def test_a_leftover_ignoring_sigterm_gets_sigkill(tmp_path, spawned):
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    stubborn += "time.sleep(120)"
    popen = spawned("-X", marker(tmp_path), "-c", stubborn)
    _wait_marked(popen, tmp_path)
    time.sleep(0.5)  # the handler is installed
    _record(tmp_path, popen.pid)

    assert kill_leftovers(tmp_path, grace=1) == [popen.pid]

    assert popen.wait(timeout=10) == -signal.SIGKILL


def test_the_drills_children_die_with_it_and_are_recorded(tmp_path):
    # A stand-in drill starts one child the drill's way, then is killed with SIGKILL: no
    # ``finally`` runs, and PR_SET_PDEATHSIG stops the child anyway.
    drill = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from bench.drill import Processes\n"
        f"processes = Processes(Path({str(tmp_path)!r}), Path({str(tmp_path)!r}))\n"
        f"command = [*processes.python, '-c', {SLEEP!r}]\n"
        "child = processes.start('sleeper', command, dict(os.environ))\n"
        "print(child.popen.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    stand_in = subprocess.Popen(
        [sys.executable, "-c", drill], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert stand_in.stdout is not None
        child = int(stand_in.stdout.readline())
        assert (tmp_path / PIDS_FILE).read_text() == f"{child} sleeper\n"
        assert not _gone(child)

        stand_in.kill()
        stand_in.wait(timeout=10)

        assert _wait_gone(child), "the child outlived the drill"
    finally:
        stand_in.kill()
        stand_in.wait()


def test_an_overrunning_drill_gets_sigterm_and_stops_cleanly(tmp_path):
    # The drill turns SIGTERM into a clean stop; this stand-in says it did.
    drill = (
        "import signal, sys, time\n"
        "def stop(signum, frame):\n"
        "    print('stopped cleanly', flush=True)\n"
        "    sys.exit(1)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )
    began = time.monotonic()

    result = run_child([sys.executable, "-c", drill], cwd=tmp_path, env=dict(os.environ), timeout=2)

    assert result.timed_out
    assert result.stdout == "started\nstopped cleanly\n"
    assert result.returncode == 1
    assert time.monotonic() - began < 20


def test_a_drill_deaf_to_sigterm_is_killed_after_the_grace_period(tmp_path):
    drill = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('started', flush=True)\n"
        "time.sleep(120)\n"
    )

    result = run_child(
        [sys.executable, "-c", drill], cwd=tmp_path, env=dict(os.environ), timeout=2, grace=1
    )

    assert result.timed_out
    assert result.returncode == -signal.SIGKILL
    assert result.stdout == "started\n"
