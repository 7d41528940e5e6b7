"""The one HTTP POST a webhook delivery makes, with SSRF hygiene.

Only http and https URLs are accepted. Unless ``DEBUG`` or ``WEBHOOK_ALLOW_PRIVATE_URLS`` is on,
every address the host name resolves to must be public (``lms.compliance.public_addresses``):
loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast and reserved
ranges are refused, also when an IPv6 address wraps one of them (``::ffff:127.0.0.1``,
``::127.0.0.1``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``). The check runs at every delivery,
on the addresses the name resolves to then, and the connection goes to the address that was
checked (the host name is still sent as ``Host`` and used for TLS verification), so DNS cannot
switch to an internal address between the check and the connect (DNS rebinding).
Redirects are not followed: a 3xx counts as a failed attempt.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from lms.compliance.public_addresses import is_public

RESPONSE_READ_LIMIT = 64 * 1024


class UnsafeURL(ValueError):
    """The URL may not be called: wrong scheme, no host, or an address that is not public."""


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def private_addresses_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOK_ALLOW_PRIVATE_URLS", False))


def check_scheme(url: str) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise UnsafeURL(f"Only http and https URLs can receive webhooks, not {parts.scheme!r}.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")


def resolve(url: str) -> list[str]:
    """The addresses ``url``'s host resolves to, all checked; :class:`UnsafeURL` otherwise."""
    check_scheme(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"Cannot resolve {parts.hostname}: {error}") from error
    # An AF_INET or AF_INET6 sockaddr starts with the address as text (typeshed's int variant is
    # a raw AF_INET6 address on a Python built without IPv6); str() keeps the text unchanged.
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not private_addresses_allowed():
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise UnsafeURL(
                f"{parts.hostname} resolves to a private or reserved address ({refused[0]}); "
                "webhooks go to public addresses only."
            )
    return addresses


def decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address chosen in advance instead of resolving the host again."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address chosen in advance; the certificate is verified for the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        # HTTPSConnection's own SSL context; typeshed leaves out this private attribute.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
    """POST ``body`` to ``url``; the response's status and the start of its body.

    Raises :class:`UnsafeURL` for a URL that may not be called and ``OSError`` (including
    timeouts) when no response arrives.
    """
    addresses = resolve(url)
    parts = urlsplit(url)
    host = parts.hostname
    assert host is not None  # resolve() refused a URL without a host
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in addresses:
        connection = connection_class(host, port, address=address, timeout=timeout)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read(RESPONSE_READ_LIMIT)
            return Response(response.status, decode(data, response.headers.get_content_charset()))
        except ConnectionRefusedError as error:  # try the host's next address
            last_error = error
        finally:
            connection.close()
    raise last_error or OSError(f"No address for {parts.hostname}")
