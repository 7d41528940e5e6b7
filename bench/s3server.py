"""A local S3-compatible server for the object-store tests and the two-node drill.

Why: the object-store code must be proven against a real server speaking S3 over HTTP, not a
mock object, and MinIO's community binaries are no longer distributed; moto's server mode
(from PyPI, a dev dependency) is. Run it as ``python -m bench.s3server --port 9000``; tests use
:func:`running`, which starts it in a child process on a free port and stops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ACCESS_KEY_ID = "AKIASUNSHINETEST0001"
SECRET_ACCESS_KEY = "sunshine-local-s3-secret-not-used-anywhere-else"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    """Where the running server listens, and the credentials clients sign with."""

    endpoint_url: str
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    region: str = REGION

    def environment(self, *, media_bucket: str, private_bucket: str) -> dict[str, str]:
        """The OBJECT_STORAGE_* variables that point the site at this server."""
        return {
            "OBJECT_STORAGE_ENDPOINT_URL": self.endpoint_url,
            "OBJECT_STORAGE_REGION": self.region,
            "OBJECT_STORAGE_ACCESS_KEY_ID": self.access_key_id,
            "OBJECT_STORAGE_SECRET_ACCESS_KEY": self.secret_access_key,
            "OBJECT_STORAGE_MEDIA_BUCKET": media_bucket,
            "OBJECT_STORAGE_PRIVATE_BUCKET": private_bucket,
        }

    def create_buckets(self, *names: str) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )
        for name in names:
            client.create_bucket(Bucket=name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the S3 server exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers, if only to refuse
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the S3 server did not answer on {url} within {timeout:.0f} s")


@contextmanager
def running(port: int | None = None) -> Iterator[S3Server]:
    """Start the server in a child process; stop it on exit."""
    port = port or free_port()
    command = [sys.executable, "-m", "bench.s3server", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(endpoint + "/", process)
        yield S3Server(endpoint_url=endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def serve(host: str, port: int) -> None:
    """Serve moto's S3 on host:port until interrupted."""
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port)


if __name__ == "__main__":
    main()
