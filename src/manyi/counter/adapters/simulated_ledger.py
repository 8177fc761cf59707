"""The simulated core's books: its accounts and cards, its products' terms (demand and term
rates, billers, wealth products, the card BIN) and how a handler refuses a posting (`Fail`,
raised by `require` and `checked` before anything changes). The engine that posts is
simulated_core.py.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from manyi.counter.adapters.core import ErrorCode
from manyi.personal import luhn_ok

__all__ = [
    "BILLERS",
    "CARD_BIN",
    "CENT",
    "DEMAND_RATE",
    "PRODUCTS",
    "TERM_RATES",
    "ZERO",
    "Fail",
    "SimAccount",
    "SimCard",
    "add_months",
    "checked",
    "require",
]

DEMAND_RATE = Decimal("0.05")  # percent a year
TERM_RATES = {m: Decimal(r) for m, r in ((3, ".65"), (6, ".85"), (12, ".95"), (24, "1.05"))}
TERM_RATES |= {36: Decimal("1.25"), 60: Decimal("1.30")}  # percent a year, by months
BILLERS = {"STATE-GRID": "State Grid electricity", "WATER": "City water", "GAS": "City gas"}
PRODUCTS = {"WM90D": Decimal("10000"), "WM180D": Decimal("50000")}  # code → minimum
CARD_BIN = "628888"  # fictitious
CENT, ZERO = Decimal("0.01"), Decimal("0.00")


@dataclass
class SimAccount:
    number: str
    holder_name: str
    holder_id: str
    currency: str
    opened_on: dt.date
    balance: Decimal = Decimal("0.00")
    frozen: bool = False
    closed: bool = False
    mobile: str = ""
    mobile_banking: bool = False
    term_months: int = 0  # 0: a demand account
    maturity: dt.date | None = None
    rate: Decimal = DEMAND_RATE
    holdings: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class SimCard:
    number: str
    account: str
    # active, inactive (sent by post, not yet activated), lost, replaced, cancelled, locked
    # (too many wrong PINs)
    status: str = "active"
    pin_salt: bytes = b""
    pin_digest: bytes = b""  # empty: no PIN set yet
    wrong_pins: int = 0  # wrong PINs in a row; at the core's limit the card locks


class Fail(Exception):
    """A definitive failure; args: (ErrorCode, English message)."""


def require(ok: bool, code: ErrorCode, message: str) -> None:
    if not ok:
        raise Fail(code, message)


def checked(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise Fail(ErrorCode.REJECTED, str(exc)) from None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def early_interest(balance: Decimal, opened_on: dt.date, today: dt.date) -> tuple[Decimal, int]:
    """A term deposit withdrawn early earns the demand rate for the days held (annual rate /
    360 per day, to the cent): (interest, days)."""
    days = (today - opened_on).days
    return (balance * DEMAND_RATE / 100 * days / 360).quantize(CENT, ROUND_HALF_UP), days


def card_number(rng: random.Random) -> str:
    """A card number of the fictitious BIN with a valid Luhn check digit."""
    body = CARD_BIN + "".join(rng.choices("0123456789", k=9))
    return body + next(d for d in "0123456789" if luhn_ok(body + d))
