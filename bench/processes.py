"""Servers in child processes, for the benchmarks and tests: a free port to give one, and
stopping one.

Why a module: the local S3 server (bench/s3server.py), the drill (bench/drill.py) and the
benchmarks' gunicorn (tests/bench/conftest.py) all start servers as child processes, pick their
ports and stop them the same way.
"""

from __future__ import annotations

import socket
import subprocess


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on now (the operating system picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen, timeout: float) -> None:
    """Ask ``process`` to end (SIGTERM); kill it if it has not after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
