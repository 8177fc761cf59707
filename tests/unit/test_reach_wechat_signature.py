"""WeChat's signature of the requests to the official account's server URL, and the freshness
of a push (reach.web.wechat)."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.reach.adapters.wechat import callback_signature, signature_ok
from manyi.reach.web.wechat import fresh

# SHA-1 of "1700000000" + "42" + "manyi": the three values sorted as strings, then joined.
KNOWN = "17cb151e147b7d51be26586a71a2bd5c0e52d3d0"


def test_the_signature_is_the_sha1_of_the_sorted_values() -> None:
    assert callback_signature("manyi", "1700000000", "42") == KNOWN
    # The order the values come in does not matter: they are sorted first.
    assert callback_signature("42", "manyi", "1700000000") == KNOWN


def test_a_good_signature_is_accepted_in_either_case() -> None:
    assert signature_ok("manyi", KNOWN, "1700000000", "42")
    assert signature_ok("manyi", KNOWN.upper(), "1700000000", "42")


@pytest.mark.parametrize(
    ("token", "signature", "timestamp", "nonce"),
    [
        ("other", KNOWN, "1700000000", "42"),  # another account's token
        ("manyi", KNOWN, "1700000001", "42"),  # a value changed in transit
        ("manyi", KNOWN, "1700000000", "43"),
        ("manyi", KNOWN[:-1], "1700000000", "42"),
        ("manyi", "", "1700000000", "42"),
        ("", callback_signature("", "1700000000", "42"), "1700000000", "42"),  # no token set
        ("manyi", "签名" * 20, "1700000000", "42"),  # not even ASCII: refused, not an error
    ],
)
def test_anything_else_is_refused(token: str, signature: str, timestamp: str, nonce: str) -> None:
    assert not signature_ok(token, signature, timestamp, nonce)


NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
STAMP = int(NOW.timestamp())


@pytest.mark.parametrize(
    ("timestamp", "ok"),
    [
        (str(STAMP), True),
        (str(STAMP - 300), True),  # five minutes late: still taken
        (str(STAMP + 300), True),  # WeChat's clock a little ahead of ours
        (str(STAMP - 301), False),  # a push replayed later
        (str(STAMP + 301), False),
        ("", False),
        ("-1", False),
        ("１７００", False),  # full-width digits
        ("9" * 40, False),  # past any clock
    ],
)
def test_a_push_is_fresh_within_five_minutes_of_the_clock(timestamp: str, ok: bool) -> None:
    assert fresh(timestamp, NOW) is ok
