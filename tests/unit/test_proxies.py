"""The client's address behind trusted proxies only (issue 16 #6)."""

from __future__ import annotations

import pytest

from manyi.config import SettingsError, load_settings
from manyi.web.proxies import client_behind, parse_networks

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
