"""The client's address behind the bank's reverse proxies, and only theirs.

Rate limits and sign-in back-off are keyed on the client address. Behind a proxy every request
comes from the proxy's address (a whole branch would share one count); `X-Forwarded-For` names
the client, but anyone can send that header. So it is read only when the request comes from a
configured trusted proxy (`MANYI_TRUSTED_PROXIES`, addresses or networks), and then from the
right: the first address that is not itself a trusted proxy is the client's. Without trusted
proxies the header is ignored (and `manyi serve` tells uvicorn not to read it either).

From a trusted proxy, `X-Forwarded-Proto` (`https` or `http`) is also the request's scheme, so
the links manyi makes from the address it was reached at (a ticket's QR code, the identity
platform's redirect URI) say https behind the bank's TLS proxy; from anyone else it is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """ "10.0.0.1, 10.1.0.0/16" as networks; ValueError names the entry that is not one."""
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_behind(peer: str, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The client's address: `peer` itself unless it is a trusted proxy, else the right-most
    address of `forwarded_for` that is not a trusted proxy."""
    if not networks or not _trusted(peer, networks) or not forwarded_for.strip():
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


class TrustedProxies:
    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            peer, port = scope["client"]
            headers = Headers(scope=scope)
            client = client_behind(peer, headers.get("x-forwarded-for", ""), self.networks)
            if client != peer:
                scope = {**scope, "client": (client, port)}
            scheme = scheme_behind(peer, headers.get("x-forwarded-proto", ""), self.networks)
            if scheme is not None:
                secure = scheme == "https"
                if scope["type"] == "websocket":
                    scope = {**scope, "scheme": "wss" if secure else "ws"}
                else:
                    scope = {**scope, "scheme": scheme}
        await self.app(scope, receive, send)


def scheme_behind(peer: str, forwarded_proto: str, networks: Sequence[Network]) -> str | None:
    """The scheme a trusted proxy says the client used (its first value, `http` or `https`);
    None when the peer is no trusted proxy or says nothing usable."""
    if not networks or not _trusted(peer, networks):
        return None
    first = forwarded_proto.split(",")[0].strip().lower()
    return first if first in ("http", "https") else None
