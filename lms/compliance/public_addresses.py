"""Which IP addresses a webhook may be sent to: public ones only (SSRF protection).

Python's ``ipaddress.is_global`` is not enough on its own. It judges an IPv6 address by the
IPv6 registry alone, so ``::127.0.0.1`` (IPv4-compatible), ``64:ff9b::7f00:1`` (NAT64) and
``2002:7f00:1::`` (6to4) count as "global" although each reaches 127.0.0.1 through a translator,
a tunnel or a dual-stack socket. Here every IPv6 form that carries an IPv4 address is unwrapped
and the IPv4 rules applied to what it carries; tunnels whose far end cannot be judged from the
address (Teredo) and operator-local translation prefixes are refused outright. The answer does
not depend on the Python version's copy of the IANA registries for the ranges named below.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IPv4 ranges refused besides what is_global already refuses (listed so the rule is explicit).
REFUSED_IPV4 = (
    _V4("0.0.0.0/8"),  # "this network"
    _V4("10.0.0.0/8"),  # private
    _V4("100.64.0.0/10"),  # carrier-grade NAT
    _V4("127.0.0.0/8"),  # loopback
    _V4("169.254.0.0/16"),  # link-local, cloud metadata (169.254.169.254)
    _V4("172.16.0.0/12"),  # private
    _V4("192.0.0.0/24"),  # IETF protocol assignments
    _V4("192.168.0.0/16"),  # private
    _V4("198.18.0.0/15"),  # benchmarking
    _V4("224.0.0.0/4"),  # multicast
    _V4("240.0.0.0/4"),  # reserved, and the broadcast address
)

# IPv6 ranges whose low 32 bits are an IPv4 address that the traffic ends up at.
LOW_32_BITS_IPV4 = (
    _V6("::ffff:0:0/96"),  # IPv4-mapped (a dual-stack socket connects to the IPv4 address)
    _V6("::/96"),  # IPv4-compatible (deprecated); also holds :: and ::1
    _V6("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    _V6("64:ff9b::/96"),  # NAT64 well-known prefix
)
SIX_TO_FOUR = _V6("2002::/16")  # 6to4: bits 16-47 are the IPv4 address of the tunnel's end

# IPv6 ranges refused whatever they carry.
REFUSED_IPV6 = (
    _V6("64:ff9b:1::/48"),  # NAT64 local-use prefix: translated to the operator's own network
    _V6("2001::/32"),  # Teredo: tunnels through NAT to an address the prefix does not show
    _V6("100::/64"),  # discard-only
    _V6("2001:db8::/32"),  # documentation
    _V6("fc00::/7"),  # unique local (the IPv6 private networks)
    _V6("fe80::/10"),  # link-local
    _V6("fec0::/10"),  # site-local (deprecated)
    _V6("ff00::/8"),  # multicast
)

_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``ip`` wraps (mapped, compatible, translated, NAT64, 6to4), if any."""
    if any(ip in network for network in LOW_32_BITS_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def is_public_ip(ip: IPAddress) -> bool:
    """True if ``ip``, and any IPv4 address it wraps, is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in REFUSED_IPV6):
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_ip(inner)
        return ip.is_global and not ip.is_multicast
    if any(ip in network for network in REFUSED_IPV4):
        return False
    return ip.is_global and not ip.is_multicast


def is_public(address: str) -> bool:
    """``is_public_ip`` for an address as text (an IPv6 zone such as ``%eth0`` is ignored)."""
    return is_public_ip(ipaddress.ip_address(address.split("%", 1)[0]))


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally, or ``None`` for a host name.

    Besides standard notation this catches the legacy IPv4 spellings that the system resolver
    still accepts (``127.1``, ``2130706433``, ``0x7f.0.0.1``), so they are judged as addresses.
    """
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host) and any(char.isdigit() for char in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (RFC 6761)."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")
