"""The client's real address, for everything that limits or logs per address.

Behind a load balancer every request comes from the balancer, and anyone can write an
X-Forwarded-For header. So the header is read only when the direct peer is one of
HCP_TRUSTED_PROXIES, and then from the right: each trusted proxy appended the address it
received the request from, so the right-most entry that is not a trusted proxy is the
client; anything to its left is whatever the client chose to send.

Only X-Forwarded-For is read, not RFC 7239 `Forwarded` as well: a proxy writes one of them,
and reading both would let a client plant the one its proxy passes through untouched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from server.settings import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientAddress:
    """Pure ASGI: replaces `scope["client"]` with the resolved client address, so
    `request.client` is the citizen's address wherever it is read."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in ("http", "websocket") and self.trusted and peer:
            resolved = self.resolve(peer[0], _forwarded_for(scope["headers"]))
            if resolved != peer[0]:
                # The port is the proxy's connection, not the client's: none is known.
                scope = {**scope, "client": (resolved, 0)}
        await self.app(scope, receive, send)

    def resolve(self, peer: str, hops: Sequence[str]) -> str:
        known = _address(peer)
        if known is None or not self._is_trusted(known):
            return peer
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                # A trusted proxy wrote something that is not an address: the nearest
                # address known for certain is that proxy's.
                break
            known = address
            if not self._is_trusted(address):
                break
        return str(known)

    def _is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)


def _forwarded_for(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """Every X-Forwarded-For entry in order; several header lines read as one list."""
    return [
        hop.strip()
        for name, value in headers
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]


def _address(text: str) -> Address | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`,
    `[2001:db8::1]:80`); an IPv4-mapped IPv6 address as the IPv4 address it is."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
