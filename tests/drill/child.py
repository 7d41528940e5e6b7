"""Run the drill as a child process that is stopped cleanly whatever happens to the test.

Why: ``subprocess.run(timeout=...)`` SIGKILLs a child that overruns, and so does nothing on
Ctrl-C but kill it too; the drill's ``finally`` then never runs and its gunicorn nodes, Celery
workers, beat and S3 server (each in a session of its own) live on, consuming the broker
database and holding ports. Here the child gets SIGTERM, which the drill turns into a clean
stop, and only SIGKILL (its whole process group) if it has not ended after ``grace`` seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.drill import _die_with_parent


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


def run_child(
    command: list[str], *, cwd: Path, env: dict[str, str], timeout: float, grace: float = 30
) -> Finished:
    """Run ``command``; on timeout or interruption (KeyboardInterrupt re-raised) SIGTERM it,
    wait ``grace`` seconds, then SIGKILL its process group."""
    popen = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        # Its own session: a terminal's Ctrl-C reaches the test only, which stops the child.
        start_new_session=True,
        # Should the test runner itself be killed, the child is told to stop (Linux).
        preexec_fn=_die_with_parent(),
    )
    try:
        stdout, stderr = popen.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stdout, stderr = _stop(popen, grace)
        return Finished(popen.returncode, stdout, stderr, timed_out=True)
    except BaseException:
        _stop(popen, grace)
        raise
    return Finished(popen.returncode, stdout, stderr)


def _stop(popen: subprocess.Popen[str], grace: float) -> tuple[str, str]:
    popen.send_signal(signal.SIGTERM)
    try:
        return popen.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return popen.communicate()
