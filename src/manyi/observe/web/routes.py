"""`/metrics`: the Prometheus exposition, for the addresses in MANYI_METRICS_ALLOW only.

Declared `machine`: Prometheus is a system, not a person; it sends no cookie and no CSRF
token, and its proof is where it connects from. Anyone else gets 403 (the refusal is logged
with the address). The address is the client's as `manyi.web.proxies` found it: behind a
trusted proxy the one it forwarded for; a request that carries `X-Forwarded-For` while no
proxy is trusted is refused, since the proxy that sent it (on this very host, perhaps) would
otherwise speak for everyone behind it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import APIRouter, Request, Response

from manyi.db import Session, utcnow
from manyi.observe import gauges, metrics
from manyi.web.proxies import Network, parse_networks
from manyi.web.security import DbSession, MachineDenied, machine

router = APIRouter()


@lru_cache(maxsize=8)
def _networks(text: str) -> tuple[Network, ...]:
    return parse_networks(text)


def allowed_scraper(request: Request) -> None:
    """The `machine` check of `/metrics`: raises MachineDenied for any other address."""
    settings = request.app.state.settings
    address = request.client.host if request.client else ""
    if request.headers.get("x-forwarded-for") and not settings.trusted_proxies.strip():
        raise MachineDenied(f"/metrics through an untrusted proxy ({address})")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise MachineDenied(f"/metrics from {address!r}, not an address") from None
    if not any(ip in network for network in _networks(settings.metrics_allow)):
        raise MachineDenied(f"/metrics from {address}, not in MANYI_METRICS_ALLOW")


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(
    request: Request, _scraper: None = machine(allowed_scraper), session: Session = DbSession
) -> Response:
    settings = request.app.state.settings
    families = gauges.scrape(
        session,
        utcnow(),
        by=settings.metrics_gauges,
        service_level_s=settings.cockpit_service_level_s,
    )
    return Response(metrics.exposition(families), media_type=metrics.CONTENT_TYPE)
