"""Outbound connections to hosts someone else chose (a partner's webhook or SMTP server, a
vendor's deal webhook): only to public addresses, so a stored URL cannot make this server
reach its own network (SSRF: loopback services, the cloud metadata endpoint, a private LAN).

A name is resolved once, every address it gives is checked, and the connection goes to a
checked address, never to the name again: a second lookup could answer differently (DNS
rebinding). HTTPS still sends the name (SNI, Host) and verifies the certificate against it.
Redirects are never followed: the caller sees the 3xx status.

Tests replace ``getaddrinfo`` (the resolution step only) to make a name resolve to a private
address without any network.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from prm_domain import validation
from prm_domain.errors import ValidationError

# The resolution step, replaceable by tests.
getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo

# Special-use and internal names (RFC 6761, 6762, 8375; ICANN's .internal): they never name
# a partner's public server and often name this server's neighbours
# (metadata.google.internal).
INTERNAL_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "localdomain",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
    "private",
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Blocked(OSError):
    """The host resolves to (or is) an address this server must not connect to."""


class Unresolved(OSError):
    """The host name did not resolve (nothing was sent)."""


def is_public(address: str) -> bool:
    """A global unicast address, also when an IPv6 form wraps an IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and not is_public(str(inner)):
            return False
    return ip.is_global and not ip.is_multicast


def check_host(field: str, host: str) -> str:
    """Save-time check of a host someone else gives: a full DNS name (IDNA-valid, with a dot),
    no IP address, no loopback or internal name. Whether the name resolves to a public address
    is checked again on every connection (it may change)."""
    name = validation.hostname(field, host, allow_loopback=False)
    labels = name.split(".")
    for suffix in INTERNAL_SUFFIXES:
        parts = suffix.split(".")
        if labels[-len(parts) :] == parts:
            raise ValidationError.for_fields({field: f"{host!r} is an internal host name"})
    return name


def check_url(field: str, url: str) -> str:
    """Save-time check of an http(s) URL whose host someone else gives (see ``check_host``)."""
    value = validation.http_url(field, url, allow_loopback=False)
    check_host(field, urlsplit(value).hostname or "")
    return value


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """The addresses of ``host``, each one checked: any non-public one refuses the host (a
    name with one private address is not a partner's server). ``allow_private`` is for the
    stand-ins of the tests and the operator's own configured services."""
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unresolved("could not resolve the host name") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Unresolved("could not resolve the host name")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise Blocked("the host is not on a public address")
    return addresses


def connect(
    host: str, port: int, timeout: float | None, *, allow_private: bool = False
) -> socket.socket:
    """A TCP connection to a checked address of ``host`` (tried in order)."""
    last: OSError | None = None
    for address in resolve(host, port, allow_private=allow_private):
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            last = exc
    assert last is not None
    raise last


class GuardedHTTPConnection(http.client.HTTPConnection):
    """``http.client`` with the socket from ``connect``: the Host header stays the name."""

    def __init__(self, host: str, port: int | None, *, allow_private: bool, **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._allow_private = allow_private
        self._create_connection = self._guarded

    def _guarded(
        self, address: tuple[str, int], timeout: Any = None, source: Any = None
    ) -> socket.socket:
        return connect(address[0], address[1], timeout, allow_private=self._allow_private)


class GuardedHTTPSConnection(http.client.HTTPSConnection):
    """As above over TLS: SNI and certificate verification use the name, not the address."""

    def __init__(
        self,
        host: str,
        port: int | None,
        *,
        allow_private: bool,
        context: ssl.SSLContext,
        **kw: Any,
    ) -> None:
        super().__init__(host, port, context=context, **kw)
        self._allow_private = allow_private
        self._create_connection = self._guarded

    def _guarded(
        self, address: tuple[str, int], timeout: Any = None, source: Any = None
    ) -> socket.socket:
        return connect(address[0], address[1], timeout, allow_private=self._allow_private)


def http_connection(
    url: str, timeout: float, *, allow_private: bool = False
) -> http.client.HTTPConnection:
    """A guarded connection (not yet open) for an http(s) URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https":
        return GuardedHTTPSConnection(
            host,
            parts.port,
            allow_private=allow_private,
            context=ssl.create_default_context(),
            timeout=timeout,
        )
    return GuardedHTTPConnection(host, parts.port, allow_private=allow_private, timeout=timeout)
