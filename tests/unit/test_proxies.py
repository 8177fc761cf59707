"""The client's address behind trusted proxies only (issue 16 #6)."""

from __future__ import annotations

import pytest

from manyi.config import SettingsError, load_settings
from manyi.web.proxies import TrustedProxies, client_behind, parse_networks, scheme_behind

PROXIES = parse_networks("10.0.0.1, 10.9.0.0/16, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.1", "203.0.113.7", "203.0.113.7"),  # through the bank's proxy
        (
            "10.0.0.1",
            "198.51.100.1, 203.0.113.7",
            "203.0.113.7",
        ),  # the left one is the client's say
        ("10.0.0.1", "203.0.113.7, 10.9.4.4", "203.0.113.7"),  # two of the bank's proxies
        ("203.0.113.7", "10.0.0.99", "203.0.113.7"),  # not from a proxy: the header is ignored
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "not-an-address", "not-an-address"),  # what the proxy said, as a key
        ("10.0.0.1", "10.9.1.1", "10.9.1.1"),  # only proxies: the farthest one
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, forwarded: str, client: str
) -> None:
    assert client_behind(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_behind("10.0.0.1", "203.0.113.7", ()) == "10.0.0.1"


def test_a_bad_proxy_entry_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_TRUSTED_PROXIES", "10.0.0.1, proxy.bank.local")
    with pytest.raises(SettingsError, match=r"MANYI_TRUSTED_PROXIES.*proxy\.bank\.local"):
        load_settings()


@pytest.mark.parametrize(
    ("peer", "proto", "scheme"),
    [
        ("10.0.0.1", "https", "https"),  # the bank's TLS proxy
        ("10.0.0.1", "HTTPS, http", "https"),  # the first hop's say
        ("10.0.0.1", "http", "http"),
        ("10.0.0.1", "gopher", None),
        ("10.0.0.1", "", None),
        ("203.0.113.7", "https", None),  # not from a proxy: ignored
    ],
)
def test_the_scheme_comes_from_trusted_proxies_only(
    peer: str, proto: str, scheme: str | None
) -> None:
    assert scheme_behind(peer, proto, PROXIES) == scheme
    assert scheme_behind(peer, proto, ()) is None


def test_behind_a_trusted_proxy_the_app_sees_https() -> None:
    import asyncio

    seen: list[tuple[str, str]] = []

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        seen.append((scope["scheme"], scope["client"][0]))

    middleware = TrustedProxies(app, PROXIES)  # type: ignore[arg-type]
    headers = [(b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.7")]
    for peer in ("10.0.0.1", "198.51.100.9"):
        scope = {"type": "http", "scheme": "http", "client": (peer, 5000), "headers": headers}
        asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    assert seen == [("https", "203.0.113.7"), ("http", "198.51.100.9")]
