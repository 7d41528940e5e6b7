"""A local S3-compatible server for the object-store tests and the two-node drill.

Why: the object-store code must be proven against a real server speaking S3 over HTTP, not a
mock object, and MinIO's community binaries are no longer distributed; moto's server mode
(from PyPI, a dev dependency) is. Run it as ``python -m bench.s3server --port 9000``; tests use
:func:`running`, which starts it in a child process on a free port and stops it afterwards.

**moto does not check presigned URLs, so this module does.** moto's server (5.2.6) answers a
presigned GET whose expiry has passed, or whose signature was altered, with 200 and the object;
only a request with no signature at all is refused (403) for a private object. Its own
authentication mode (``INITIAL_NO_AUTH_ACTION_COUNT``) fails on presigned URLs (a KeyError on
``HTTP_AUTHORIZATION``). A test that "an expired URL is refused" would then pass or fail for
reasons that have nothing to do with S3. So :func:`serve` runs moto's own WSGI application
(the same one ``moto_server`` runs: ``DomainDispatcherApplication(create_backend_app)`` under
werkzeug's threaded server) behind :class:`PresignedUrlGate`, which does what S3 does with a
query-signed (SigV4 presigned) request before moto sees it:

- an unknown access key id: 403 ``InvalidAccessKeyId``;
- a signature that does not verify against this server's secret: 403
  ``SignatureDoesNotMatch``. The expected signature is computed by botocore's own SigV4 query
  signer (``S3SigV4QueryAuth``: canonical request, string to sign, signing key) from the
  request as received, not by crypto written here;
- ``X-Amz-Date`` + ``X-Amz-Expires`` in the past: 403 ``AccessDenied`` "Request has expired";
- a SigV2 query signature (``Signature=``): 403, since the site only signs with SigV4.

Everything else (header-signed API calls from boto3, unsigned requests) goes straight to moto,
which stores and serves the objects and refuses an unsigned GET of a private object itself. The
gate is a test double of S3's checks, not a security boundary: it exists so that the tests
proving "an unsigned, expired or tampered URL is refused" test the site's URLs against the
rules a real S3 applies.
"""

from __future__ import annotations

import argparse
import hmac
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from bench.processes import free_port, stop

ACCESS_KEY_ID = "AKIASUNSHINETEST0001"
SECRET_ACCESS_KEY = "sunshine-local-s3-secret-not-used-anywhere-else"
REGION = "us-east-1"
MAX_PRESIGNED_EXPIRY = 7 * 24 * 3600  # S3's limit for a SigV4 presigned URL

WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


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

    def client(self, config: Any = None) -> Any:
        """A boto3 S3 client of this server, signing with its credentials (``config``: a
        ``botocore.config.Config``, e.g. the signature version)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=config,
        )

    def create_buckets(self, *names: str) -> None:
        client = self.client()
        for name in names:
            client.create_bucket(Bucket=name)


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
        stop(process, timeout=10)


class PresignedUrlGate:
    """WSGI middleware refusing the presigned requests S3 would refuse (see the module doc)."""

    def __init__(self, app: WSGIApp, credentials: dict[str, str]) -> None:
        self.app = app
        self.credentials = credentials  # access key id -> secret access key

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        refusal = self.refusal(environ)
        if refusal is None:
            return self.app(environ, start_response)
        code, message = refusal
        body = _error_xml(code, message)
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def refusal(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(S3 error code, message) when the request must be refused, else None."""
        query = environ.get("QUERY_STRING", "")
        params = dict(parse_qsl(query, keep_blank_values=True))
        if "Signature" in params and "AWSAccessKeyId" in params:
            return "AccessDenied", "Only SigV4 presigned URLs are accepted by this server"
        if "X-Amz-Signature" not in params:
            return None  # header-signed or unsigned: moto decides
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return "AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256"
        try:
            access_key, day, region, service, terminal = params["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=UTC
            )
            expires = int(params["X-Amz-Expires"])
            signed_headers = params["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return "AuthorizationQueryParametersError", "Malformed presigned URL parameters"
        if not 1 <= expires <= MAX_PRESIGNED_EXPIRY:
            return (
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be between 1 and 604800 seconds",
            )
        secret = self.credentials.get(access_key)
        if secret is None:
            return (
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        expected = _presigned_signature(
            environ,
            query=query,
            credentials=(access_key, secret),
            scope=(day, region, service, terminal),
            timestamp=params["X-Amz-Date"],
            expires=expires,
            signed_headers=signed_headers,
        )
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return (
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
            )
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
            return "AccessDenied", "Request has expired"
        return None


def _presigned_signature(
    environ: dict[str, Any],
    *,
    query: str,
    credentials: tuple[str, str],
    scope: tuple[str, str, str, str],
    timestamp: str,
    expires: int,
    signed_headers: list[str],
) -> str:
    """The SigV4 query signature of this request, computed by botocore's S3 presigner from
    the path and query string exactly as received (minus ``X-Amz-Signature``)."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    day, region, service, _ = scope
    if day != timestamp[:8]:
        return ""  # a scope for another day never verifies
    # RAW_URI: the path as the client sent it (still percent-encoded), which is what was signed.
    raw_path = environ.get("RAW_URI", environ.get("PATH_INFO", "/")).split("?", 1)[0]
    unsigned_query = "&".join(
        pair for pair in query.split("&") if not pair.startswith("X-Amz-Signature=")
    )
    headers = {}
    for name in signed_headers:
        if name == "host":
            headers["host"] = environ.get("HTTP_HOST", "")
        elif name == "content-type":
            headers[name] = environ.get("CONTENT_TYPE", "")
        elif name == "content-length":
            headers[name] = environ.get("CONTENT_LENGTH", "")
        else:
            headers[name] = environ.get("HTTP_" + name.upper().replace("-", "_"), "")
    request = AWSRequest(
        method=environ["REQUEST_METHOD"],
        url=f"http://{headers.get('host') or 'localhost'}{raw_path}?{unsigned_query}",
        headers=headers,
    )
    request.context["timestamp"] = timestamp
    signer = S3SigV4QueryAuth(Credentials(*credentials), service, region, expires=expires)
    canonical_request = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical_request), request))


def _error_xml(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{uuid.uuid4().hex}</RequestId></Error>"
    ).encode()


def make_app(credentials: dict[str, str] | None = None) -> PresignedUrlGate:
    """moto's S3 WSGI application behind the presigned-URL gate."""
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return PresignedUrlGate(
        DomainDispatcherApplication(create_backend_app),
        credentials or {ACCESS_KEY_ID: SECRET_ACCESS_KEY},
    )


def serve(host: str, port: int) -> None:
    """Serve moto's S3, behind the presigned-URL gate, on host:port until interrupted."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server(host, port, make_app(), threaded=True, request_handler=MotoRequestHandler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port)


if __name__ == "__main__":
    main()
